"""Read a contacts CSV (Excel, LibreOffice, Sheets or CRM export) into validated contacts."""

import codecs
import csv
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, cast

import pandas as pd
from pydantic import ValidationError

from .errors import InputError
from .models import Contact, RowError, multi_line, single_line

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

_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # xlsx/ods (ZIP), xls (OLE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
# On a tie the earlier one wins: a stray comma in header text is likelier than a stray ; or tab.
_DELIMITERS = ("\t", ";", ",")
_SNIFF_LIMIT = 65_536
_HEADER_SEARCH = 10  # records looked at for the header line
_LATIN1_FALLBACK = "outreach.latin-1-fallback"


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
        self.encoding, head = _detect_encoding(path)
        self.delimiter = _sniff_delimiter(head)
        # A first pass checks the whole file before anything is drafted and counts its records.
        self.records, unclosed = _scan(self._lines(), self.delimiter, path)
        self._unclosed_last = unclosed
        self._header_at, self._header = self._find_header(path)
        self._layout = _layout(self._header)
        _require_columns(self._layout, self._header, path)
        self.columns = self._layout.columns
        self.errors: list[RowError] = []
        self._first_row: dict[str, int] = {}
        self._repeats: dict[str, list[_Seen]] = {}

    def _lines(self) -> Iterator[str]:
        """The file's physical lines, decoded; only CR, LF and CRLF end a line."""
        errors = _LATIN1_FALLBACK if self.encoding == "cp1252" else "strict"
        with self._path.open(encoding=self.encoding, errors=errors, newline="") as handle:
            yield from handle

    def _find_header(self, path: Path) -> tuple[int, list[str]]:
        """The header: the first record naming an email column among the first few.

        Exports often put a title line ("Kontaktliste 2026") or Excel's "sep=;" above it;
        when no record names an email column, the first one is taken, for the error message.
        """
        first: tuple[int, list[str]] | None = None
        seen = 0
        for position, (_line, cells) in enumerate(_records(self._lines(), self.delimiter)):
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
            raise InputError(f"{_label(path)} is empty")
        return first

    def chunks(self, size: int = 1000) -> Iterator[list[Contact]]:
        """Yield the valid, first-seen contacts in file order, `size` records at a time."""
        records = _records(self._lines(), self.delimiter)
        for position, _record in enumerate(records):
            if position == self._header_at:
                break  # title lines above the header, and the header itself
        batch: list[tuple[int, list[str]]] = []
        for record in records:
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


def _label(path: Path) -> str:
    """Name the file for a one-line message."""
    return "contacts file '{}'".format(" ".join(str(path).splitlines()))


def _detect_encoding(path: Path) -> tuple[str, str]:
    """The file's encoding and its decoded start; InputError for workbooks, binary, empty."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_LIMIT)
            if head.startswith(_WORKBOOK_MAGIC):
                raise InputError(f"{_label(path)} looks like an Excel workbook; save it as CSV")
            if head.startswith(_UTF16_BOMS):
                encoding = "utf-16"
            elif b"\x00" in head:
                raise InputError(f"{_label(path)} is not a text file (binary data); save it as CSV")
            else:
                handle.seek(0)
                encoding = _utf8_or_cp1252(handle, head)
    except FileNotFoundError:
        raise InputError(f"{_label(path)} not found") from None
    except IsADirectoryError:
        raise InputError(f"{_label(path)} is a directory, not a file") from None
    except OSError as exc:
        if path.is_dir():
            raise InputError(f"{_label(path)} is a directory, not a file") from None
        raise InputError(f"{_label(path)} cannot be read: {exc.strerror or exc}") from None
    try:
        text = head.decode(encoding, errors=_LATIN1_FALLBACK if encoding == "cp1252" else "ignore")
    except UnicodeDecodeError:
        raise InputError(f"{_label(path)} starts like UTF-16 but is not valid UTF-16") from None
    if not _has_text(path, encoding):
        raise InputError(f"{_label(path)} is empty")
    return encoding, text


def _utf8_or_cp1252(handle: BinaryIO, head: bytes) -> str:
    """Strict UTF-8 (with or without BOM) if the whole file decodes, else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := handle.read(1 << 20):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig" if head.startswith(_UTF8_BOM) else "utf-8"


def _has_text(path: Path, encoding: str) -> bool:
    """True when the file holds anything but white space (and a BOM)."""
    errors = _LATIN1_FALLBACK if encoding == "cp1252" else "strict"
    try:
        with path.open(encoding=encoding, errors=errors, newline="") as handle:
            while block := handle.read(1 << 16):
                if block.lstrip("\ufeff").strip():
                    return True
    except UnicodeDecodeError:
        raise InputError(f"{_label(path)} starts like UTF-16 but is not valid UTF-16") from None
    return False


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes cp1252 leaves undefined as Latin-1 (C1 controls), as Windows does."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(_LATIN1_FALLBACK, _latin1_for_undefined)


def _sniff_delimiter(text: str) -> str:
    """Pick the candidate found most often outside quotes on the first non-blank line."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in text[:_SNIFF_LIMIT]:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in counts:
            counts[char] += 1
        elif char in "\r\n" and any(counts.values()):
            break
    return max(_DELIMITERS, key=counts.__getitem__) if any(counts.values()) else ","


def _records(lines: Iterator[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank CSV record with the line it starts on."""
    # The csv module rather than pandas: it reports line numbers through multi-line fields.
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    start = 1
    for record in reader:
        if record:
            yield start, record
        start = reader.line_num + 1


def _scan(lines: Iterator[str], delimiter: str, path: Path) -> tuple[int, bool]:
    """Count the records and check the file parses; True if a quote is left open at the end."""
    count, last_start, reader_lines, quotes = 0, 0, 0, 0

    def counted(lines: Iterator[str]) -> Iterator[str]:
        nonlocal quotes
        for line in lines:
            quotes += line.count('"')
            yield line

    reader = csv.reader(counted(lines), delimiter=delimiter, skipinitialspace=True)
    start = 1
    try:
        for record in reader:
            if record:
                count += 1
                last_start = start
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(
            f"{_label(path)} cannot be read as CSV near line {start} "
            f"(a quote that is never closed?): {exc}"
        ) from None
    reader_lines = reader.line_num
    # An odd number of quotes and a last record spanning lines: a quote opened and never closed.
    spans_lines = count > 0 and reader_lines > last_start
    return count, spans_lines and quotes % 2 == 1


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
            f"{_label(path)} has no email column; found columns: {found}; "
            f"name one of: {', '.join(_ALIASES['email'])}"
        )
    if not mapped & {"organisation", "contact_name", "last_name"}:
        raise InputError(
            f"{_label(path)} has neither an organisation nor a contact-name column; "
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


def _frame(rows: list[list[str]], width: int) -> pd.DataFrame:
    """Build a string DataFrame, trimmed, from the shaped rows (every cell is text)."""
    frame = pd.DataFrame(rows, columns=range(width), dtype=str)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame


def _validate(
    lines: list[int], frame: pd.DataFrame, layout: _Layout
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


def _dicts(frame: pd.DataFrame) -> Iterator[dict[str, str]]:
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
