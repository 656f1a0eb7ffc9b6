"""Wire the stages together: contacts file in, batch folder out."""

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .classify import Rules, classify, default_rules
from .content import templates_dir
from .errors import InputError
from .files import atomic_write_bytes, write_csv
from .ingest import read_contacts
from .language import pick_language
from .message import MessageWriter
from .models import Classification, Contact, RowError
from .orgtypes import type_label
from .render import Renderer
from .review_page import ReviewEntry, review_page
from .settings import Settings

log = logging.getLogger(__name__)

MANIFEST_COLUMNS = (
    "row", "email", "organisation", "contact_name", "type", "confidence", "language", "subject",
    "draft", "needs_review", "review_reason", "evidence", "message_id",
)  # fmt: skip
ERROR_COLUMNS = ("row", "email", "field", "reason")
DRAFTS = "drafts"

Progress = Callable[[int, int], None]


@dataclass
class BatchReport:
    """What a draft run produced."""

    folder: Path
    drafted: int = 0
    flagged: int = 0
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


def classify_contacts(
    contacts: list[Contact], rules: Rules | None = None
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
    rules: Rules | None = None,
    progress: Progress | None = None,
) -> BatchReport:
    """Draft one email per usable row into `out/batch/`; bad rows go to errors.csv."""
    batch = _check_batch_name(batch)
    ingested = read_contacts(contacts_file)
    renderer = Renderer(templates_dir(templates), settings)
    folder = out / batch
    date = _batch_date(folder, batch)
    report = BatchReport(folder=folder, errors=list(ingested.errors))
    manifest: list[dict[str, object]] = []
    written: set[str] = set()
    total = len(ingested.contacts)
    writer = MessageWriter(settings, batch, date)
    with review_page(folder / "index.html", batch) as page:
        for done, item in enumerate(classify_contacts(ingested.contacts, rules), start=1):
            entry = _draft_one(item, renderer, writer, settings, folder)
            written.add(Path(entry.draft).name)
            manifest.append(_manifest_row(entry, writer.message_id(item.contact)))
            page.add(entry)
            report.drafted += 1
            report.flagged += entry.needs_review
            if progress:
                progress(done, total)
    _remove_stale_drafts(folder / DRAFTS, written)
    write_csv(folder / "manifest.csv", MANIFEST_COLUMNS, manifest)
    write_csv(folder / "errors.csv", ERROR_COLUMNS, (e.model_dump() for e in report.errors))
    log.info("drafted %d emails into %s (%d flagged)", report.drafted, folder, report.flagged)
    return report


def _draft_one(
    item: ClassifiedContact,
    renderer: Renderer,
    writer: MessageWriter,
    settings: Settings,
    folder: Path,
) -> ReviewEntry:
    contact, classification = item.contact, item.classification
    email = renderer.render(contact, classification, item.language)
    recipient = email.recipient_name
    raw = writer.build(email, contact, recipient)
    draft = f"{DRAFTS}/{draft_file_name(contact)}"
    atomic_write_bytes(folder / draft, raw)
    return ReviewEntry(
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
        sender=settings.from_,
        recipient=f"{recipient} <{contact.email}>" if recipient else contact.email,
        text=email.text,
        html=email.html,
    )


def _manifest_row(entry: ReviewEntry, message_id: str) -> dict[str, object]:
    return {
        "row": entry.row,
        "email": entry.email,
        "organisation": entry.organisation,
        "contact_name": entry.contact_name,
        "type": entry.type,
        "confidence": entry.confidence,
        "language": entry.language,
        "subject": entry.subject,
        "draft": entry.draft,
        "needs_review": "yes" if entry.needs_review else "no",
        "review_reason": entry.review_reason,
        "evidence": entry.evidence,
        "message_id": message_id,
    }


def draft_file_name(contact: Contact) -> str:
    """A stable, readable file name: the input row and a slug of the organisation or name."""
    return f"{contact.row:05d}-{slug(contact.display_name) or 'contact'}.eml"


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


def _remove_stale_drafts(drafts: Path, keep: set[str]) -> None:
    """Drop drafts of an earlier run whose rows are no longer in the contacts file."""
    if not drafts.is_dir():
        return
    for path in drafts.glob("*.eml"):
        if path.name not in keep:
            log.info("removing stale draft %s", path)
            path.unlink()
