"""The review page (`index.html`) that volunteers open, and one preview page per draft."""

import base64
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import IO, Any, NamedTuple

import jinja2

from outreach.classify.orgtypes import TYPE_LABELS
from outreach.compose.render import RenderedEmail
from outreach.files import atomic_open
from outreach.variants import fill, html_quote

PREVIEWS = "previews"


class ReviewEntry(NamedTuple):
    """What the review page lists of one draft (a tuple: made and pickled once per draft)."""

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
    draft: str
    preview: str
    sender: str
    recipient: str


@cache
def _macros() -> Any:
    source = (files("outreach") / "review" / "page.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source).module


def previews_page(previews: list[tuple[ReviewEntry, RenderedEmail]]) -> str:
    """One page holding the previews of a chunk of drafts; its URL's #anchor picks one.

    Each preview shows the headers, the HTML part (sandboxed) and the text part. An HTML part made
    from its variant's skeleton is stored as the skeleton (once per page) and its values, which
    the page fills in as the renderer did; all of it is gzip-compressed. That keeps a large
    batch's previews small on disk and cheap to write.
    """
    language = previews[0][0].language if previews else "en"
    return str(_macros().previews_page(language, encode_previews(previews)))


def encode_previews(previews: list[tuple[ReviewEntry, RenderedEmail]]) -> str:
    """Base64 of gzip-compressed JSON {skeletons, drafts: {anchor: {...}}} (deterministic)."""
    skeletons: dict[str, int] = {}
    drafts: dict[str, dict[str, Any]] = {}
    for entry, email in previews:
        shown: dict[str, Any] = {"fields": _fields(entry), "text": email.text}
        if email.html_skeleton:
            shown["skeleton"] = skeletons.setdefault(email.html_skeleton, len(skeletons))
            shown["values"] = email.html_values
        else:
            shown["html"] = email.html
        drafts[entry.preview.partition("#")[2]] = shown
    data = {"skeletons": list(skeletons), "drafts": drafts}
    packed = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(packed, compresslevel=3, mtime=0)).decode("ascii")


def decode_previews(page: str) -> dict[str, Any]:
    """The previews stored in a previews page, HTML filled in as the page does (for tests)."""
    start = page.index('id="data">') + len('id="data">')
    payload = page[start : page.index("</script>", start)]
    data = json.loads(gzip.decompress(base64.b64decode(payload)))
    previews: dict[str, Any] = {}
    for anchor, shown in data["drafts"].items():
        if "skeleton" in shown:
            skeleton = data["skeletons"][shown.pop("skeleton")]
            shown["html"] = fill(skeleton, shown.pop("values"), html_quote)
        previews[anchor] = shown
    return previews


def _fields(entry: ReviewEntry) -> list[tuple[str, str]]:
    review = f": needs review, {entry.review_reason}" if entry.needs_review else ""
    return [
        ("From", entry.sender),
        ("To", entry.recipient),
        ("Subject", entry.subject),
        ("Type", f"{entry.type_label} ({entry.confidence}){review}"),
        ("Evidence", entry.evidence),
        ("File", entry.draft),
    ]


class ReviewPage:
    """Streams the list entry by entry, so that no batch is held in memory whole."""

    def __init__(self, handle: IO[str], batch: str) -> None:
        self._handle = handle
        self._first = True
        types = [(key, labels[1]) for key, labels in TYPE_LABELS.items()]
        handle.write(str(_macros().head(batch, types, ReviewEntry._fields)))

    def add(self, entry: ReviewEntry) -> None:
        """Append one draft to the page's data."""
        # A list in field order, not an object: the page names the values (a third smaller).
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        # "<" as \u003c keeps "</script>" and "<!--" in a value from ending the script block.
        self._handle.write(("" if self._first else ",\n") + data.replace("<", "\\u003c"))
        self._first = False

    def finish(self) -> None:
        """Close the data and add the script that lists, filters and pages it."""
        self._handle.write(str(_macros().foot()))


@contextmanager
def review_page(path: Path, batch: str) -> Iterator[ReviewPage]:
    """Write the page atomically: it appears only once every entry is in."""
    with atomic_open(path, "w") as handle:
        page = ReviewPage(handle, batch)
        yield page
        page.finish()
