"""Read the labelled corpus: contacts with their expected types, split, and description shape."""

import csv
from dataclasses import dataclass
from pathlib import Path

from outreach.models import Contact

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "organisations.csv"
COLUMNS = (
    "organisation",
    "contact_name",
    "title",
    "email",
    "website",
    "country",
    "description",
    "completeness",
    "language",
    "expected",
    "split",
)
#: Every address in the corpus ends in this, so that nothing can ever be sent to it.
SAFE_SUFFIX = ".example"


@dataclass(frozen=True)
class Example:
    """One labelled row: the contact as the tool sees it, and what a careful person would say."""

    contact: Contact
    labels: tuple[str, ...]
    split: str
    completeness: str
    language: str

    @property
    def key(self) -> str:
        """Who this row is about: the organisation, else the person and address."""
        return organisation_key(self.contact)


def organisation_key(contact: Contact) -> str:
    """The organisation's name in lower case, or the person's name and address without one."""
    name = contact.organisation or f"{contact.contact_name} <{contact.email}>"
    return " ".join(name.lower().split())


def read_corpus(path: Path = CORPUS, split: str | None = None) -> list[Example]:
    """The corpus rows (of one split, if given), with the safe suffix taken off each address."""
    examples = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if split is not None and row["split"] != split:
                continue
            email = row["email"].removesuffix(SAFE_SUFFIX)
            fields = {name: row[name] for name in COLUMNS[:7] if row[name]}
            contact = Contact.from_row(line, {**fields, "email": email}, {})
            labels = tuple(row["expected"].split("|"))
            examples.append(
                Example(contact, labels, row["split"], row["completeness"], row["language"])
            )
    return examples
