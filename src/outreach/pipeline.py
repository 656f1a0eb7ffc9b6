"""Wire the stages together: contacts in, batch folder out."""

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path

from outreach.batch.layout import REVIEW_PAGE, checked_batch_name
from outreach.batch.writer import BatchWriter, batch_created
from outreach.compose.content import templates_dir
from outreach.composer import BatchSpec, Composer
from outreach.ingest.contacts import ContactFile
from outreach.models import Contact, RowError
from outreach.send.suppression import load_suppressions
from outreach.settings import Settings
from outreach.workers import compose_all, cpu_count

log = logging.getLogger(__name__)

CHUNK = 250  # rows per unit of work for a worker process
Progress = Callable[[int, int], None]


@dataclass
class BatchReport:
    """What a draft run produced."""

    folder: Path
    drafted: int = 0
    flagged: int = 0
    suppressed: int = 0
    errors: list[RowError] = field(default_factory=list)
    soft_flags: Counter[str] = field(default_factory=Counter)

    @property
    def review_page(self) -> Path:
        """The page volunteers open."""
        return self.folder / REVIEW_PAGE


def draft_batch(
    contacts: Iterable[Contact],
    out: str | Path,
    batch: str,
    settings: Settings,
    *,
    templates: Path | None = None,
    rules_file: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BatchReport:
    """Draft one email per contact into `out/batch/`; the file's bad rows go to errors.csv.

    `contacts` is any iterable of validated rows; from `read_contacts` its row errors are
    reported too. Addresses on the opt-out list get a manifest line but no draft.
    """
    name = checked_batch_name(batch)
    folder = Path(out) / name
    spec = BatchSpec(
        settings, name, batch_created(folder, name), folder, templates_dir(templates), rules_file
    )
    composer = Composer(spec)  # template, content and rules errors stop the run here
    opted_out = load_suppressions(settings.db)
    suppressed: list[Contact] = []  # few; written to the manifest in row order

    def chunks() -> Iterator[list[Contact]]:
        chunk: list[Contact] = []
        for contact in contacts:
            if opted_out.matches(contact.email_ascii):
                suppressed.append(contact)
                continue
            chunk.append(contact)
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    report = BatchReport(folder=folder)
    total = _expected(contacts)
    reason = "on the opt-out list: not drafted"
    with BatchWriter(folder, name) as writer:
        for entry in compose_all(composer, chunks(), cpu_count() if workers is None else workers):
            while suppressed and suppressed[0].row < entry.row:
                writer.add_undrafted(suppressed[0], composer.message_id(suppressed.pop(0)), reason)
                report.suppressed += 1
            writer.add(entry)
            report.drafted += 1
            report.flagged += entry.needs_review
            report.soft_flags.update(filter(None, entry.flags.split("; ")))
            if progress:
                progress(report.drafted, max(total, report.drafted))
        for contact in suppressed:
            writer.add_undrafted(contact, composer.message_id(contact), reason)
            report.suppressed += 1
    report.errors = list(contacts.errors) if isinstance(contacts, ContactFile) else []
    writer.finish(report.errors)
    log.info("drafted %d emails into %s (%d flagged)", report.drafted, folder, report.flagged)
    return report


def _expected(contacts: Iterable[Contact]) -> int:
    """How many rows there will be, at most, for a progress bar (0 when it cannot be told)."""
    if isinstance(contacts, ContactFile):
        return max(contacts.records - 1, 0)  # less the header; bad rows make it an upper bound
    return len(contacts) if isinstance(contacts, Sized) else 0
