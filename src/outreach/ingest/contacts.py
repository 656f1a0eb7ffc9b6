"""Read a contacts CSV (Excel, LibreOffice, Sheets or CRM export) into validated contacts."""

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from pydantic import ValidationError

from outreach.errors import InputError
from outreach.ingest.cells import multi_line, single_line
from outreach.ingest.csvfile import detect_encoding, label, lines, records, scan, sniff_delimiter
from outreach.models import Contact, RowError

if TYPE_CHECKING:
    import pandas as pd

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


def _normalise_header(name: str) -> str:
    """Fold a header name for alias matching: NFKC, casefold, no spaces/underscores/hyphens/dots."""
    return unicodedata.normalize("NFKC", name).casefold().translate(_IGNORED_IN_HEADERS)


HEADER_ALIASES: dict[str, str] = {
    _normalise_header(alias): field for field, aliases in _ALIASES.items() for alias in aliases
}

_HEADER_SEARCH = 10  # records looked at for the header line


@dataclass(frozen=True)
class IngestResult:
    """The usable contacts of one file, every problem found, and how the file was read."""

    contacts: list[Contact]
    errors: list[RowError]
    encoding: str
    delimiter: str
    columns: dict[str, str]


@dataclass(frozen=True)
class _Layout:
    """Which column index feeds which field or extra key."""

    fields: dict[int, str]
    extras: dict[int, str]
    columns: dict[str, str]


class _Seen(NamedTuple):
    """Where an address was first seen (kept instead of the whole contact)."""

    row: int
    email: str


class ContactStream:
    """The contacts of one file, validated a chunk at a time so no list is held whole.

    `errors` is complete once every chunk has been taken.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self.encoding, head = detect_encoding(path)
        self.delimiter = sniff_delimiter(head)
        # A first pass checks the whole file before anything is drafted and counts its records.
        self.records, unclosed = scan(self._lines(), self.delimiter, path)
        self._unclosed_last = unclosed
        self._header_at, self._header = self._find_header(path)
        self._layout = _layout(self._header)
        _require_columns(self._layout, self._header, path)
        self.columns = self._layout.columns
        self.errors: list[RowError] = []
        self._first_row: dict[str, int] = {}
        self._repeats: dict[str, list[_Seen]] = {}

    def _lines(self) -> Iterator[str]:
        return lines(self._path, self.encoding)

    def _find_header(self, path: Path) -> tuple[int, list[str]]:
        """The header: the first record naming an email column among the first few.

        Exports often put a title line ("Kontaktliste 2026") or Excel's "sep=;" above it;
        when no record names an email column, the first one is taken, for the error message.
        """
        first: tuple[int, list[str]] | None = None
        seen = 0
        for position, (_line, cells) in enumerate(records(self._lines(), self.delimiter)):
            if not any(cell.strip() for cell in cells):
                continue
            header = [single_line(cell.lstrip("\ufeff")) for cell in cells]
            first = first or (position, header)
            if "email" in _layout(header).fields.values():
                return position, header
            seen += 1
            if seen == _HEADER_SEARCH:
                break
        if first is None:
            raise InputError(f"{label(path)} is empty")
        return first

    def chunks(self, size: int = 1000) -> Iterator[list[Contact]]:
        """Yield the valid, first-seen contacts in file order, `size` records at a time."""
        stream = records(self._lines(), self.delimiter)
        for position, _record in enumerate(stream):
            if position == self._header_at:
                break  # title lines above the header, and the header itself
        batch: list[tuple[int, list[str]]] = []
        for record in stream:
            batch.append(record)
            if len(batch) == size:
                yield self._contacts(batch, last=False)
                batch = []
        yield self._contacts(batch, last=True)
        self.errors.extend(
            _duplicate_error(self._first_row[k], r) for k, r in self._repeats.items()
        )
        self.errors.sort(key=lambda error: error.row)

    def _contacts(self, records: list[tuple[int, list[str]]], *, last: bool) -> list[Contact]:
        lines, rows, errors = _shape_rows(records, len(self._header), self._layout)
        if last and self._unclosed_last and lines and lines[-1] == records[-1][0]:
            errors.append(_unclosed_quote_error(lines.pop(), rows.pop(), self._layout))
        contacts, invalid = _validate(lines, _frame(rows, len(self._header)), self._layout)
        self.errors.extend([*errors, *invalid])
        return self._first_seen(contacts)

    def _first_seen(self, contacts: list[Contact]) -> list[Contact]:
        """Keep the first contact per address (case-insensitive); note the repeats."""
        kept: list[Contact] = []
        for contact in contacts:
            key = contact.email_ascii.casefold()
            if key in self._first_row:
                self._repeats.setdefault(key, []).append(_Seen(contact.row, contact.email))
            else:
                self._first_row[key] = contact.row
                kept.append(contact)
        return kept


def open_contacts(path: Path) -> ContactStream:
    """Open a contacts file for reading in chunks; InputError if it is unusable."""
    return ContactStream(path)


def read_contacts(path: Path) -> IngestResult:
    """Read, map, validate and de-duplicate the contacts in `path`; InputError if unusable."""
    stream = open_contacts(path)
    contacts = [contact for chunk in stream.chunks() for contact in chunk]
    return IngestResult(contacts, stream.errors, stream.encoding, stream.delimiter, stream.columns)


def _layout(header: list[str]) -> _Layout:
    """Map each column to a field (first one wins) or an extra key; drop unnamed columns."""
    fields: dict[int, str] = {}
    extras: dict[int, str] = {}
    columns: dict[str, str] = {}
    for index, name in enumerate(header):
        field = HEADER_ALIASES.get(_normalise_header(name))
        if field is not None and field not in fields.values():
            fields[index] = field
            columns[name] = field
        elif name:
            extras[index] = _unique(name, set(extras.values()))
    return _Layout(fields, extras, columns)


def _unique(name: str, taken: set[str]) -> str:
    """Return `name`, or `name (2)`, `name (3)` … when an earlier column already has it."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def _require_columns(layout: _Layout, header: list[str], path: Path) -> None:
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


def _shape_rows(
    records: list[tuple[int, list[str]]], width: int, layout: _Layout
) -> tuple[list[int], list[list[str]], list[RowError]]:
    """Pad short rows, drop empty surplus cells, report rows with more fields than the header."""
    email_index = _email_index(layout)
    lines: list[int] = []
    rows: list[list[str]] = []
    errors: list[RowError] = []
    for line, cells in records:
        size = len(cells)
        # Excel drops trailing empty cells, other tools add some: only text past the header counts.
        if size > width and any(cell.strip() for cell in cells[width:]):
            email = cells[email_index].strip()
            reason = f"has {size} fields, header has {width}"
            errors.append(RowError(row=line, email=email, field="", reason=reason))
            continue
        del cells[width:]
        cells.extend([""] * (width - size))
        lines.append(line)
        rows.append(cells)
    return lines, rows, errors


def _unclosed_quote_error(line: int, cells: list[str], layout: _Layout) -> RowError:
    """Report the record that swallowed the rest of the file through an unclosed quote."""
    email = single_line(cells[_email_index(layout)])[:80]
    reason = "a quoted value starting here is never closed; the rest of the file was read into it"
    return RowError(row=line, email=email, field="", reason=reason)


def _email_index(layout: _Layout) -> int:
    """Return the index of the email column (checked to exist before rows are read)."""
    return next(index for index, field in layout.fields.items() if field == "email")


def _frame(rows: list[list[str]], width: int) -> "pd.DataFrame":
    """Build a string DataFrame, trimmed, from the shaped rows (every cell is text)."""
    import pandas as pd  # here, not at import: a draft forks its workers before it reads rows

    frame = pd.DataFrame(rows, columns=range(width), dtype=str)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame


def _validate(
    lines: list[int], frame: "pd.DataFrame", layout: _Layout
) -> tuple[list[Contact], list[RowError]]:
    """Validate every non-blank row as a Contact; each failure becomes one RowError per problem."""
    fields = frame[list(layout.fields)].set_axis(list(layout.fields.values()), axis=1)
    extras = frame[list(layout.extras)].set_axis(list(layout.extras.values()), axis=1)
    # Rows with no recognised field are blank: numbered or formula-filled spare rows in a sheet.
    filled = (fields != "").any(axis=1).to_numpy()
    extras = extras.map(multi_line)
    contacts: list[Contact] = []
    errors: list[RowError] = []
    for line, keep, values, extra in zip(
        lines, filled, _dicts(fields), _dicts(extras), strict=True
    ):
        if not keep:
            continue
        try:
            contacts.append(Contact.from_row(line, _joined_name(values), extra))
        except ValidationError as exc:
            errors.extend(_row_errors(line, values.get("email", ""), exc))
    return contacts, errors


def _joined_name(values: dict[str, str]) -> dict[str, str]:
    """Fold first and last name columns into contact_name, unless a full name is given."""
    first, last = values.pop("first_name", ""), values.pop("last_name", "")
    if not values.get("contact_name") and (first or last):
        values["contact_name"] = f"{first} {last}".strip()
    return values


def _dicts(frame: "pd.DataFrame") -> Iterator[dict[str, str]]:
    """Yield the rows of a string frame as dicts keyed by column name."""
    # Column lists zipped row-wise: several times faster than DataFrame.to_dict("records").
    names = [str(name) for name in frame.columns]
    if not names:
        return ({} for _ in range(len(frame)))
    columns = [cast(list[str], frame[name].tolist()) for name in frame.columns]
    return (dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True))


def _row_errors(line: int, email: str, exc: ValidationError) -> list[RowError]:
    """Turn each pydantic error into a RowError naming the field and the plain reason."""
    return [
        RowError(
            row=line,
            email=email,
            field=".".join(str(part) for part in error["loc"]),
            reason=error["msg"].removeprefix("Value error, "),
        )
        for error in exc.errors()
    ]


def _duplicate_error(first_row: int, repeats: list[_Seen]) -> RowError:
    """Report a repeated address on its first repeat, naming every skipped row."""
    repeat, *others = repeats
    reason = f"duplicate of row {first_row}; drafted once"
    if others:
        rows = ", ".join(str(contact.row) for contact in others)
        reason += f"; also skipped row{'s' if len(others) > 1 else ''} {rows}"
    return RowError(row=repeat.row, email=repeat.email, field="email", reason=reason)
