"""The review page (`index.html`) that volunteers open, and the pages of draft previews."""

import json
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import IO, Any, NamedTuple

import jinja2

from outreach.classify.orgtypes import TYPE_LABELS
from outreach.compose.render import RenderedEmail
from outreach.review.flags import NO_PERSONAL_OPENING


class ReviewEntry(NamedTuple):
    """What the review page and the manifest say of one draft (made and pickled once each)."""

    row: int
    organisation: str
    contact_name: str
    email: str
    type: str
    type_label: str
    confidence: str
    evidence: str
    language: str
    subject: str
    needs_review: bool
    review_reason: str
    flags: str
    draft: str
    preview: str
    sender: str
    recipient: str
    message_id: str


@cache
def _macros() -> Any:
    source = (files("outreach") / "review" / "page.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source).module


def _script_json(data: object) -> str:
    """JSON for a <script> block; "<" as \\u003c, so no value can end the block."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def previews_page(previews: Iterable[tuple[ReviewEntry, RenderedEmail]]) -> str:
    """One page with the previews of a chunk of drafts; its URL's #anchor picks one.

    Each preview shows the headers, the HTML part (sandboxed) and the text part, as they are.
    """
    shown = {
        entry.preview.partition("#")[2]: {
            "fields": _fields(entry),
            "html": email.html,
            "text": email.text,
        }
        for entry, email in previews
    }
    return f"{_macros().previews_head()}{_script_json(shown)}{_macros().previews_foot()}"


def _fields(entry: ReviewEntry) -> list[tuple[str, str]]:
    review = f": needs review, {entry.review_reason}" if entry.needs_review else ""
    return [
        ("From", entry.sender),
        ("To", entry.recipient),
        ("Subject", entry.subject),
        ("Type", f"{entry.type_label} ({entry.confidence}){review}"),
        ("Evidence", entry.evidence),
        ("Flags", entry.flags or "none"),
        ("File", entry.draft),
    ]


class ReviewPage:
    """Writes the list entry by entry, so that no batch is held in memory whole."""

    def __init__(self, handle: IO[str], batch: str) -> None:
        self._handle = handle
        self._first = True
        types = [(key, labels[1]) for key, labels in TYPE_LABELS.items()]
        handle.write(str(_macros().head(batch, types, ReviewEntry._fields)))

    def add(self, entry: ReviewEntry) -> None:
        """Append one draft to the page's data."""
        # A list in field order, not an object: the page names the values (a third smaller).
        self._handle.write(("" if self._first else ",\n") + _script_json(entry))
        self._first = False

    def finish(self) -> None:
        """Close the data and add the script that lists, filters and pages it."""
        self._handle.write(str(_macros().foot(NO_PERSONAL_OPENING)))
