"""Write a batch folder: batch.json, drafts, previews, manifest, errors and the review page."""

import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from outreach.batch.layout import (
    DRAFTS,
    ERROR_COLUMNS,
    ERRORS,
    MANIFEST,
    MANIFEST_COLUMNS,
    META,
    PREVIEWS,
    REVIEW_PAGE,
    previews_file,
)
from outreach.batch.reader import read_meta
from outreach.compose.render import RenderedEmail
from outreach.errors import OutputError
from outreach.files import SpreadsheetWriter, atomic_open, atomic_write_bytes, write_csv
from outreach.models import Contact, RowError
from outreach.review.page import ReviewEntry, ReviewPage, previews_page

log = logging.getLogger(__name__)


@contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Turn a failed write (no such folder, no permission, disk full) into one clear line."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or folder
        raise OutputError(
            f"cannot write the batch in '{folder}': {where}: {exc.strerror}"
        ) from None


def batch_created(folder: Path, batch: str) -> datetime:
    """When the batch was first drafted: kept in batch.json, so reruns write the same files."""
    meta = read_meta(folder)
    if meta is not None:
        return meta[1]
    created = datetime.now(UTC).replace(microsecond=0)
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
        record = {"batch": batch, "created": created.isoformat()}
        atomic_write_bytes(folder / META, json.dumps(record).encode())
    return created


def write_chunk(
    folder: Path, chunk: int, drafts: Sequence[tuple[ReviewEntry, RenderedEmail, bytes]]
) -> None:
    """Write the drafts of one chunk and the page with their previews."""
    # Drafts can be made again from the contacts file, so they are renamed into place (never
    # seen half-written) without paying for an fsync each.
    with writing(folder):
        for folder_name in (DRAFTS, PREVIEWS):
            os.makedirs(folder / folder_name, exist_ok=True)
        for entry, _email, raw in drafts:
            atomic_write_bytes(folder / entry.draft, raw, sync=False)
        page = previews_page((entry, email) for entry, email, _raw in drafts)
        atomic_write_bytes(folder / previews_file(chunk), page.encode("utf-8"), sync=False)


class BatchWriter:
    """The manifest and the review page of a batch, written row by row, then errors.csv.

    Both appear whole at the end (atomically); drafts and previews of an earlier run whose rows
    are gone are removed then.
    """

    def __init__(self, folder: Path, batch: str) -> None:
        self.folder = folder
        self._batch = batch
        self._stack = ExitStack()
        # Names of an earlier run's files: each one written again is struck off, the rest are
        # stale. (Remembering old names rather than new keeps a fresh batch's memory flat.)
        self._stale = {DRAFTS: _names(folder / DRAFTS, "*.eml")}
        self._stale[PREVIEWS] = _names(folder / PREVIEWS, "*.html")

    def __enter__(self) -> "BatchWriter":
        with writing(self.folder):
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = self._stack.enter_context(
                atomic_open(self.folder / MANIFEST, "w", encoding="utf-8-sig")
            )
            self._manifest = SpreadsheetWriter(handle, MANIFEST_COLUMNS)
            page = self._stack.enter_context(atomic_open(self.folder / REVIEW_PAGE, "w"))
            self._page = ReviewPage(page, self._batch)
        return self

    def add(self, entry: ReviewEntry) -> None:
        """One drafted row: its manifest line and its place on the review page."""
        for folder_name, path in ((DRAFTS, entry.draft), (PREVIEWS, entry.preview)):
            self._stale[folder_name].discard(path.partition("#")[0].rpartition("/")[2])
        row = entry._asdict()
        row["needs_review"] = "yes" if entry.needs_review else "no"
        with writing(self.folder):
            self._manifest.row(row)
            self._page.add(entry)

    def add_undrafted(self, contact: Contact, message_id: str, reason: str) -> None:
        """A row that got no draft (its address is on the opt-out list): flagged, no file."""
        row = {
            "row": contact.row,
            "email": contact.email,
            "organisation": contact.organisation,
            "contact_name": contact.contact_name,
            "needs_review": "yes",
            "review_reason": reason,
            "message_id": message_id,
        }
        with writing(self.folder):
            self._manifest.row(row)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with writing(self.folder):
            if kind is None:
                self._page.finish()
            self._stack.__exit__(kind, error, trace)

    def finish(self, errors: Sequence[RowError]) -> None:
        """Write errors.csv and remove what an earlier run left that this one did not write."""
        with writing(self.folder):
            write_csv(self.folder / ERRORS, ERROR_COLUMNS, (e.model_dump() for e in errors))
            for folder_name, names in self._stale.items():
                for name in sorted(names):
                    log.info("removing stale %s", self.folder / folder_name / name)
                    (self.folder / folder_name / name).unlink(missing_ok=True)


def _names(folder: Path, pattern: str) -> set[str]:
    """Names of the files in `folder` matching `pattern` (none if it does not exist yet)."""
    return {path.name for path in folder.glob(pattern)} if folder.is_dir() else set()
