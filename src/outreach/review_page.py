"""The self-contained review page (`index.html`) that volunteers open in a browser."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import IO, Any

import jinja2

from .files import atomic_open
from .orgtypes import TYPE_LABELS


@dataclass(frozen=True)
class ReviewEntry:
    """What the page shows of one draft."""

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
    sender: str
    recipient: str
    text: str
    html: str


def _macros() -> Any:
    source = (files("outreach") / "review" / "page.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source).module


class ReviewPage:
    """Streams the page entry by entry, so that no batch is held in memory whole."""

    def __init__(self, handle: IO[str], batch: str) -> None:
        self._handle = handle
        self._macros = _macros()
        types = [(key, labels[1]) for key, labels in TYPE_LABELS.items()]
        handle.write(str(self._macros.head(batch, types)))

    def add(self, entry: ReviewEntry) -> None:
        """Append one draft."""
        self._handle.write(str(self._macros.row(entry)))

    def finish(self) -> None:
        """Close the table and add the filter script."""
        self._handle.write(str(self._macros.foot()))


@contextmanager
def review_page(path: Path, batch: str) -> Iterator[ReviewPage]:
    """Write the page atomically: it appears only once every entry is in."""
    with atomic_open(path, "w") as handle:
        page = ReviewPage(handle, batch)
        yield page
        page.finish()
