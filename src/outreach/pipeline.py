"""Wire the stages together: contacts file in, batch folder out."""

import gc
import json
import logging
import multiprocessing
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from outreach.classify.classifier import Rules, classify, default_rules, load_rules
from outreach.classify.language import pick_language
from outreach.classify.orgtypes import type_label
from outreach.compose.content import templates_dir
from outreach.compose.mime import MessageWriter
from outreach.compose.render import RenderedEmail, Renderer
from outreach.errors import InputError
from outreach.files import SpreadsheetWriter, atomic_open, atomic_write_bytes, write_csv
from outreach.ingest.contacts import open_contacts
from outreach.models import Classification, Contact, RowError
from outreach.review.page import PREVIEWS, ReviewEntry, previews_page, review_page
from outreach.send.suppression import load_suppressions
from outreach.settings import Settings

log = logging.getLogger(__name__)

MANIFEST_COLUMNS = (
    "row", "email", "organisation", "contact_name", "type", "confidence", "language", "subject",
    "draft", "needs_review", "review_reason", "evidence", "message_id",
)  # fmt: skip
ERROR_COLUMNS = ("row", "email", "field", "reason")
DRAFTS = "drafts"
CHUNK = 250  # rows per unit of work for a worker process
READ = 4 * CHUNK  # rows per pandas frame: a larger one costs less per row (21.5 against 31.8 µs)
PARALLEL_FROM = 2 * CHUNK  # smaller batches are drafted in this process

Progress = Callable[[int, int], None]


@dataclass
class BatchReport:
    """What a draft run produced."""

    folder: Path
    drafted: int = 0
    flagged: int = 0
    suppressed: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def review_page(self) -> Path:
        """The page volunteers open."""
        return self.folder / "index.html"


@dataclass(frozen=True)
class ClassifiedContact:
    """A contact with its type and language decided."""

    contact: Contact
    classification: Classification
    language: str


@dataclass(frozen=True)
class DraftJob:
    """Everything a worker needs to draft rows of one batch (picklable)."""

    settings: Settings
    batch: str
    date: datetime
    folder: Path
    templates: Path
    rules_file: Path | None


class Drafted(NamedTuple):
    """One written draft: its review entry and Message-ID."""

    entry: ReviewEntry
    message_id: str


def classify_contacts(
    contacts: Iterable[Contact], rules: Rules | None = None
) -> Iterator[ClassifiedContact]:
    """Classify each contact and pick its language."""
    rules = rules or default_rules()
    for contact in contacts:
        language, _reason = pick_language(contact)
        yield ClassifiedContact(contact, classify(contact, rules), language)


def draft_batch(
    contacts_file: Path,
    out: Path,
    batch: str,
    settings: Settings,
    *,
    templates: Path | None = None,
    rules_file: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BatchReport:
    """Draft one email per usable row into `out/batch/`; bad rows go to errors.csv."""
    batch = _check_batch_name(batch)
    stream = open_contacts(contacts_file)
    job = DraftJob(
        settings, batch, _batch_date(out / batch, batch), out / batch, templates_dir(templates),
        rules_file,
    )  # fmt: skip
    workers = workers if workers is not None else _cpu_count()
    parallel = stream.records > PARALLEL_FROM and workers > 1
    # Template, content and rules errors stop the run before any draft is written: here, or
    # in the workers, which report them with their first answer.
    drafter = None if parallel else _Drafter(job)
    report = BatchReport(folder=job.folder)
    opted_out = load_suppressions(settings.db)
    suppressed: list[Contact] = []  # few; written to the manifest in row order

    def to_draft() -> Iterator[tuple[int, list[Contact]]]:
        number = 0
        for index, read in enumerate(stream.chunks(READ)):
            if index == 0:
                heap.freeze()  # pandas and the rest are loaded now
            suppressed.extend(c for c in read if opted_out.matches(c.email_ascii))
            wanted = [c for c in read if not opted_out.matches(c.email_ascii)]
            for start in range(0, len(wanted), CHUNK):
                yield number, wanted[start : start + CHUNK]
                number += 1

    message_ids = MessageWriter(settings, batch, job.date)
    # Drafts of an earlier run: each one drafted again is struck off, the rest are stale.
    # (Remembering the old names rather than the new keeps a fresh batch's memory flat.)
    stale = _existing(job.folder / DRAFTS, "*.eml")
    pages: set[str] = set()
    total = max(stream.records - 1, 0)  # less the header; bad rows make it an upper bound
    with (
        _LongLivedObjects() as heap,
        atomic_open(job.folder / "manifest.csv", "w", encoding="utf-8-sig") as manifest,
        review_page(job.folder / "index.html", batch) as page,
    ):
        rows = SpreadsheetWriter(manifest, MANIFEST_COLUMNS)
        for drafted in _draft_all(job, to_draft(), workers, drafter):
            entry = drafted.entry
            while suppressed and suppressed[0].row < entry.row:
                rows.row(_suppressed_row(suppressed.pop(0), message_ids))
                report.suppressed += 1
            stale.discard(entry.draft.rpartition("/")[2])
            pages.add(entry.preview.partition("#")[0].rpartition("/")[2])
            rows.row(_manifest_row(entry, drafted.message_id))
            page.add(entry)
            report.drafted += 1
            report.flagged += entry.needs_review
            if progress:
                progress(report.drafted, total)
        for contact in suppressed:
            rows.row(_suppressed_row(contact, message_ids))
            report.suppressed += 1
    report.errors = stream.errors
    _remove(job.folder / DRAFTS, stale)
    _remove(job.folder / PREVIEWS, _existing(job.folder / PREVIEWS, "*.html") - pages)
    write_csv(job.folder / "errors.csv", ERROR_COLUMNS, (e.model_dump() for e in report.errors))
    log.info("drafted %d emails into %s (%d flagged)", report.drafted, job.folder, report.flagged)
    return report


class _LongLivedObjects:
    """Keeps the objects made while starting up out of the garbage collector's full passes.

    Modules, pandas, templates and rules live as long as the run, yet every full collection
    walked them all again (about 0.2 s of a 10k-row draft in the main process, 40-75 ms a pass
    in a worker), and in a forked worker that also copies memory pages it shares with the main
    process. So there is no collection while starting up (imports, forking the workers), then
    what was made is frozen (see gc.freeze). Undone at the end, unless the caller had frozen
    objects or turned the collector off itself.
    """

    def __enter__(self) -> "_LongLivedObjects":
        self._ours = gc.get_freeze_count() == 0 and gc.isenabled()
        if self._ours:
            gc.disable()
        return self

    def freeze(self) -> None:
        """Start-up is over: leave what it made out of later collections, and collect again."""
        if self._ours:
            gc.freeze()
            gc.enable()

    def __exit__(self, *exc: object) -> None:
        if self._ours:
            gc.unfreeze()
            gc.enable()


def _draft_all(
    job: DraftJob,
    chunks: Iterator[tuple[int, list[Contact]]],
    workers: int,
    drafter: "_Drafter | None",
) -> Iterator[Drafted]:
    """Draft every chunk in input order: with `drafter` here, else in worker processes."""
    if drafter is not None:
        for number, chunk in chunks:
            yield from drafter.draft(number, chunk)
        return
    with ProcessPoolExecutor(
        workers, _context(), initializer=_start_worker, initargs=(job,)
    ) as pool:
        # One call per worker forks them all now: they load templates and rules while this
        # process reads the first rows (and imports pandas to do so).
        pending: list[Future[list[Drafted]]] = [pool.submit(_ready) for _ in range(workers)]
        for number, chunk in chunks:
            pending.append(pool.submit(_draft_chunk, number, chunk))
            if len(pending) > 2 * workers:  # bounded: results flow out as work flows in
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()


class _Drafter:
    """Drafts rows of one batch; one lives in each worker process."""

    def __init__(self, job: DraftJob) -> None:
        self._job = job
        self._folder = os.fspath(job.folder)  # drafts are written by string paths: no pathlib
        self._rules = load_rules(job.rules_file) if job.rules_file else default_rules()
        self._renderer = Renderer(job.templates, job.settings)
        self._writer = MessageWriter(job.settings, job.batch, job.date)
        for folder in (DRAFTS, PREVIEWS):
            (job.folder / folder).mkdir(parents=True, exist_ok=True)

    def draft(self, number: int, contacts: list[Contact]) -> list[Drafted]:
        """Render and write the drafts of chunk `number`, and one page with their previews."""
        # One stage at a time over the whole chunk rather than each row through every stage:
        # a stage's code and data stay in the CPU caches, and creating files (kernel code) no
        # longer evicts them between rows. The workers' CPU time fell by about a third.
        previews_file = _previews_name(number)
        items = list(classify_contacts(contacts, self._rules))
        render = self._renderer.render
        emails = [render(item.contact, item.classification, item.language) for item in items]
        made = [
            self._message(item, email, previews_file)
            for item, email in zip(items, emails, strict=True)
        ]
        # Drafts can be made again from the contacts file, so they are renamed into place
        # (never seen half-written) without paying for an fsync each.
        for drafted, raw in made:
            atomic_write_bytes(os.path.join(self._folder, drafted.entry.draft), raw, sync=False)
        previews = [
            (drafted.entry, email) for (drafted, _), email in zip(made, emails, strict=True)
        ]
        page = previews_page(previews).encode("utf-8")
        atomic_write_bytes(os.path.join(self._folder, PREVIEWS, previews_file), page, sync=False)
        return [drafted for drafted, _ in made]

    def _message(
        self, item: ClassifiedContact, email: RenderedEmail, previews_file: str
    ) -> tuple[Drafted, bytes]:
        """One rendered email's review entry and Message-ID, and the draft's bytes."""
        contact, classification = item.contact, item.classification
        name = draft_file_name(contact)
        draft = f"{DRAFTS}/{name}.eml"
        preview = f"{PREVIEWS}/{previews_file}#{name}"
        recipient = email.recipient_name
        entry = ReviewEntry(
            row=contact.row,
            organisation=contact.organisation,
            contact_name=contact.contact_name,
            email=contact.email,
            type=classification.type,
            type_label=type_label(classification.type, "en"),
            confidence=f"{classification.confidence:.2f}",
            evidence="; ".join(classification.evidence),
            language=item.language,
            subject=email.subject,
            needs_review=classification.needs_review,
            review_reason="type uncertain" if classification.needs_review else "",
            draft=draft,
            preview=preview,
            sender=self._job.settings.from_,
            recipient=f"{recipient} <{contact.email}>" if recipient else contact.email,
        )
        identifier = self._writer.message_id(contact)
        raw = self._writer.build(email, contact, recipient, identifier)
        return Drafted(entry, identifier), raw


_worker: _Drafter | None = None
_worker_error: Exception | None = None


def _start_worker(job: DraftJob) -> None:
    """Make this worker's drafter; an error is kept for its first answer (see _ready)."""
    global _worker, _worker_error
    try:
        _worker = _Drafter(job)
    except Exception as exc:  # any error reaches the parent as itself, not as a broken pool
        _worker_error = exc
    # Forked while the main process starts up with the collector off (_LongLivedObjects): a
    # worker turns it on once its own start-up, which lives as long as the worker, is frozen.
    gc.freeze()
    gc.enable()


def _ready() -> list[Drafted]:
    """Nothing to draft: raises the error that stopped this worker's drafter, if any."""
    if _worker_error is not None:
        raise _worker_error
    return []


def _draft_chunk(number: int, contacts: list[Contact]) -> list[Drafted]:
    _ready()
    assert _worker is not None, "worker not started"
    return _worker.draft(number, contacts)


def _previews_name(number: int) -> str:
    return f"{number + 1:04d}.html"


def _context() -> multiprocessing.context.BaseContext:
    """Fork where it is safe (cheap: modules are already imported), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _manifest_row(entry: ReviewEntry, message_id: str) -> dict[str, object]:
    fields = ("row", "email", "organisation", "contact_name", "type", "confidence", "language",
              "subject", "draft", "review_reason", "evidence")  # fmt: skip
    row: dict[str, object] = {name: getattr(entry, name) for name in fields}
    return {**row, "needs_review": "yes" if entry.needs_review else "no", "message_id": message_id}


def _suppressed_row(contact: Contact, writer: MessageWriter) -> dict[str, object]:
    """A manifest row for an address on the opt-out list: flagged, and no draft."""
    return {
        "row": contact.row,
        "email": contact.email,
        "organisation": contact.organisation,
        "contact_name": contact.contact_name,
        "needs_review": "yes",
        "review_reason": "on the opt-out list: not drafted",
        "message_id": writer.message_id(contact),
    }


def draft_file_name(contact: Contact) -> str:
    """A stable, readable name: the input row and a slug of the organisation or name."""
    return f"{contact.row:05d}-{slug(contact.display_name) or 'contact'}"


_GERMAN_LETTERS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def slug(text: str, limit: int = 48) -> str:
    """Lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_GERMAN_LETTERS))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].rstrip("-")


def _check_batch_name(batch: str) -> str:
    name = batch.strip()
    if not name or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        raise InputError(
            f"batch name {batch!r} is not usable: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return name


def _batch_date(folder: Path, batch: str) -> datetime:
    """The batch's Date header: fixed at the first run, so reruns write the same files."""
    meta = folder / "batch.json"
    if meta.is_file():
        try:
            return datetime.fromisoformat(json.loads(meta.read_text("utf-8"))["created"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{meta} is damaged ({exc}); delete it to start the batch anew"
            ) from None
    created = datetime.now(UTC).replace(microsecond=0)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(meta, json.dumps({"batch": batch, "created": created.isoformat()}).encode())
    return created


def _existing(folder: Path, pattern: str) -> set[str]:
    """Names of the files in `folder` matching `pattern` (none if it does not exist yet)."""
    return {path.name for path in folder.glob(pattern)} if folder.is_dir() else set()


def _remove(folder: Path, names: set[str]) -> None:
    """Drop files of an earlier run whose rows are no longer in the contacts file."""
    for name in sorted(names):
        log.info("removing stale %s", folder / name)
        (folder / name).unlink(missing_ok=True)
