"""Which column of a contacts file feeds which field: header aliases and the layout."""

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from outreach.errors import InputError
from outreach.ingest.csvfile import label

# Header spellings users write, per field, as shown in messages; matching uses _normalise_header.
_ALIASES: dict[str, tuple[str, ...]] = {
    "organisation": (
        "organisation",
        "organization",
        "org",
        "Name der Organisation",
        "Firma",
        "company",
        "Institution",
        "Unternehmen",
        "Verein",
        "organisation name",
        "organization name",
        "Organisationsname",
    ),
    "email": ("email", "E-Mail", "mail", "E-Mail-Adresse", "email address", "Mailadresse"),
    "contact_name": (
        "contact",
        "contact_name",
        "contact person",
        "name",
        "Ansprechpartner",
        "Ansprechpartnerin",
        "Kontakt",
        "Kontaktperson",
        "full name",
    ),
    # CRM exports often split the name; the two parts are joined into contact_name.
    "first_name": ("first name", "firstname", "given name", "Vorname"),
    "last_name": ("last name", "lastname", "surname", "family name", "Nachname", "Familienname"),
    "salutation": ("salutation", "Anrede"),
    "title": ("title", "Titel", "akademischer Titel", "academic title"),
    "type": (
        "type",
        "Typ",
        "Kategorie",
        "category",
        "Art",
        "organisation type",
        "organization type",
        "Organisationstyp",
    ),
    "language": ("language", "Sprache"),
    "country": ("country", "Land", "Staat"),
    "website": ("website", "Webseite", "url", "homepage", "web"),
    "description": ("description", "Beschreibung", "notes", "Notizen", "about", "info"),
    "note": ("note", "Notiz", "hook", "personal line", "persönliche Notiz", "Aufhänger"),
}

_IGNORED_IN_HEADERS = str.maketrans("", "", " _-.")


def normalise_header(name: str) -> str:
    """Fold a header name for alias matching: NFKC, casefold, no spaces/underscores/hyphens/dots."""
    return unicodedata.normalize("NFKC", name).casefold().translate(_IGNORED_IN_HEADERS)


HEADER_ALIASES: dict[str, str] = {
    normalise_header(alias): field for field, aliases in _ALIASES.items() for alias in aliases
}


@dataclass(frozen=True)
class Layout:
    """Which column index feeds which field or extra key."""

    fields: dict[int, str]
    extras: dict[int, str]
    columns: dict[str, str]


def layout_of(header: list[str]) -> Layout:
    """Map each column to a field (first one wins) or an extra key; drop unnamed columns."""
    fields: dict[int, str] = {}
    extras: dict[int, str] = {}
    columns: dict[str, str] = {}
    for index, name in enumerate(header):
        field = HEADER_ALIASES.get(normalise_header(name))
        if field is not None and field not in fields.values():
            fields[index] = field
            columns[name] = field
        elif name:
            extras[index] = _unique(name, set(extras.values()))
    return Layout(fields, extras, columns)


def _unique(name: str, taken: set[str]) -> str:
    """Return `name`, or `name (2)`, `name (3)` … when an earlier column already has it."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def require_columns(layout: Layout, header: list[str], path: Path) -> None:
    """Fail unless there is an email column and an organisation or contact-name column."""
    found = ", ".join(name for name in header if name) or "(none)"
    mapped = set(layout.fields.values())
    if "email" not in mapped:
        raise InputError(
            f"{label(path)} has no email column; found columns: {found}; "
            f"name one of: {', '.join(_ALIASES['email'])}"
        )
    if not mapped & {"organisation", "contact_name", "last_name"}:
        raise InputError(
            f"{label(path)} has neither an organisation nor a contact-name column; "
            f"found columns: {found}; name one of: {', '.join(_ALIASES['organisation'])} "
            f"or one of: {', '.join(_ALIASES['contact_name'])}"
        )


def email_index(layout: Layout) -> int:
    """Return the index of the email column (checked to exist before rows are read)."""
    return next(index for index, field in layout.fields.items() if field == "email")
