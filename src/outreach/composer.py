"""Compose the drafts of one batch, a chunk at a time: classify, render, build, write."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from outreach.batch.layout import draft_name, draft_path, previews_file
from outreach.batch.writer import write_chunk
from outreach.classify.classifier import Rules, classify, default_rules, load_rules
from outreach.classify.language import pick_language
from outreach.classify.orgtypes import type_label
from outreach.compose.mime import MessageWriter
from outreach.compose.render import RenderedEmail, Renderer
from outreach.models import Classification, Contact
from outreach.review.flags import draft_flags
from outreach.review.page import ReviewEntry
from outreach.settings import Settings


@dataclass(frozen=True)
class ClassifiedContact:
    """A contact with its type and language decided."""

    contact: Contact
    classification: Classification
    language: str


@dataclass(frozen=True)
class BatchSpec:
    """Everything needed to compose the drafts of one batch (picklable, for workers)."""

    settings: Settings
    batch: str
    created: datetime
    folder: Path
    templates: Path
    rules_file: Path | None


def classify_contacts(
    contacts: Iterable[Contact], rules: Rules | None = None
) -> Iterator[ClassifiedContact]:
    """Classify each contact and pick its language."""
    rules = rules or default_rules()
    for contact in contacts:
        language, _reason = pick_language(contact)
        yield ClassifiedContact(contact, classify(contact, rules), language)


class Composer:
    """Turns chunks of contacts into written drafts and previews of one batch."""

    def __init__(self, spec: BatchSpec) -> None:
        self.spec = spec
        self._rules = load_rules(spec.rules_file) if spec.rules_file else default_rules()
        self._renderer = Renderer(spec.templates, spec.settings)
        self._messages = MessageWriter(spec.settings, spec.batch, spec.created)

    def message_id(self, contact: Contact) -> str:
        """The Message-ID of a contact's first email in this batch."""
        return self._messages.message_id(contact)

    def compose(self, chunk: int, contacts: list[Contact]) -> list[ReviewEntry]:
        """Classify, render and write the drafts of chunk number `chunk`, with their previews."""
        # One stage at a time over the whole chunk rather than each row through every stage:
        # a stage's code and data stay in the CPU caches.
        items = list(classify_contacts(contacts, self._rules))
        render = self._renderer.render
        emails = [render(item.contact, item.classification, item.language) for item in items]
        drafts = []
        for item, email in zip(items, emails, strict=True):
            entry = self._entry(item, email, previews_file(chunk))
            drafts.append(
                (entry, email, self._messages.build(email, item.contact, entry.message_id))
            )
        write_chunk(self.spec.folder, chunk, drafts)
        return [entry for entry, _email, _raw in drafts]

    def _entry(self, item: ClassifiedContact, email: RenderedEmail, previews: str) -> ReviewEntry:
        """What the manifest and the review page say of one draft."""
        contact, classification = item.contact, item.classification
        name = draft_name(contact)
        recipient = email.recipient_name
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
            flags="; ".join(draft_flags(bool(contact.note), contact.email)),
            draft=draft_path(name),
            preview=f"{previews}#{name}",
            sender=self.spec.settings.from_,
            recipient=f"{recipient} <{contact.email}>" if recipient else contact.email,
            message_id=self.message_id(contact),
        )
