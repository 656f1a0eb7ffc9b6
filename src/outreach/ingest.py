"""Read a contacts CSV (Excel, LibreOffice, Sheets or CRM export) into validated contacts."""

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

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
_LATIN1_FALLBACK = "outreach.latin-1-fallback"
# One physical line with its ending; unlike str.splitlines, only CR, LF and CRLF end a line.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


@dataclass(frozen=True)
class IngestResult:
    """The usable contacts of one file, every problem found, and how the file was read."""

    contacts: list[Contact]
    errors: list[RowError]
    encoding: str
    delimiter: str
    columns: dict[str, str]


@dataclass(frozen=True)
class _Records:
    """Non-empty CSV records with the line each starts on."""

    lines: list[int]
    cells: list[list[str]]
    unclosed_quote: bool


@dataclass(frozen=True)
class _Layout:
    """Which column index feeds which field or extra key."""

    fields: dict[int, str]
    extras: dict[int, str]
    columns: dict[str, str]


def read_contacts(path: Path) -> IngestResult:
    """Read, map, validate and de-duplicate the contacts in `path`; InputError if unusable."""
    text, encoding = _decode(_read_bytes(path), path)
    delimiter = _sniff_delimiter(text)
    records = _tokenise(text, delimiter, path)
    del text  # the records hold every cell; free the decoded file before building rows
    start = _header_index(records, path)
    header = [single_line(cell.lstrip("\ufeff")) for cell in records.cells[start]]
    layout = _layout(header)
    _require_columns(layout, header, path)
    lines, rows, errors = _shape_rows(records, start + 1, len(header), layout)
    if records.unclosed_quote and lines and lines[-1] == records.lines[-1]:
        errors.append(_unclosed_quote_error(lines.pop(), rows.pop(), layout))
    contacts, invalid = _validate(lines, _frame(rows, len(header)), layout)
    contacts, duplicates = _drop_duplicates(contacts)
    errors = sorted([*errors, *invalid, *duplicates], key=lambda error: error.row)
    return IngestResult(contacts, errors, encoding, delimiter, layout.columns)


def _label(path: Path) -> str:
    """Name the file for a one-line message."""
    return "contacts file '{}'".format(" ".join(str(path).splitlines()))


def _read_bytes(path: Path) -> bytes:
    """Read the whole file once, turning OS errors into one-line InputErrors."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{_label(path)} not found") from None
    except IsADirectoryError:
        raise InputError(f"{_label(path)} is a directory, not a file") from None
    except OSError as exc:
        if path.is_dir():
            raise InputError(f"{_label(path)} is a directory, not a file") from None
        raise InputError(f"{_label(path)} cannot be read: {exc.strerror or exc}") from None


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Return the text and the encoding it was read with; reject workbooks and binary data."""
    if raw.startswith(_WORKBOOK_MAGIC):
        raise InputError(f"{_label(path)} looks like an Excel workbook; save it as CSV")
    if raw.startswith(_UTF16_BOMS):
        text, encoding = _decode_utf16(raw, path)
    elif b"\x00" in raw[:_SNIFF_LIMIT]:
        raise InputError(f"{_label(path)} is not a text file (binary data); save it as CSV")
    else:
        text, encoding = _decode_8bit(raw)
    if not text.strip():
        raise InputError(f"{_label(path)} is empty")
    return text, encoding


def _decode_utf16(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode Excel's "Unicode text" export (UTF-16 with a byte-order mark)."""
    try:
        return raw.decode("utf-16"), "utf-16"
    except UnicodeDecodeError:
        raise InputError(f"{_label(path)} starts like UTF-16 but is not valid UTF-16") from None


def _decode_8bit(raw: bytes) -> tuple[str, str]:
    """Try UTF-8 strictly, else Windows-1252 with Latin-1 for the five bytes it leaves undefined."""
    body = raw.removeprefix(_UTF8_BOM)
    try:
        return body.decode("utf-8"), "utf-8-sig" if len(body) < len(raw) else "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", errors=_LATIN1_FALLBACK), "cp1252"


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


def _tokenise(text: str, delimiter: str, path: Path) -> _Records:
    """Split the text into records, noting the line each starts on and skipping blank lines."""
    # The csv module rather than pandas: it reports line numbers through multi-line fields.
    lines_of_text = (match.group() for match in _LINE.finditer(text))
    reader = csv.reader(lines_of_text, delimiter=delimiter, skipinitialspace=True)
    lines: list[int] = []
    cells: list[list[str]] = []
    start = 1
    try:
        for record in reader:
            if record:
                lines.append(start)
                cells.append(record)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(
            f"{_label(path)} cannot be read as CSV near line {start} "
            f"(a quote that is never closed?): {exc}"
        ) from None
    # An odd number of quotes and a last record spanning lines: a quote opened and never closed.
    spans_lines = bool(lines) and reader.line_num > lines[-1]
    return _Records(lines, cells, spans_lines and text.count('"') % 2 == 1)


def _header_index(records: _Records, path: Path) -> int:
    """Return the index of the first record with any text: the header."""
    for index, cells in enumerate(records.cells):
        if any(cell.strip() for cell in cells):
            return index
    raise InputError(f"{_label(path)} is empty")


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
    if not mapped & {"organisation", "contact_name"}:
        raise InputError(
            f"{_label(path)} has neither an organisation nor a contact-name column; "
            f"found columns: {found}; name one of: {', '.join(_ALIASES['organisation'])} "
            f"or one of: {', '.join(_ALIASES['contact_name'])}"
        )


def _shape_rows(
    records: _Records, first: int, width: int, layout: _Layout
) -> tuple[list[int], list[list[str]], list[RowError]]:
    """Pad short rows, drop empty surplus cells, report rows with more fields than the header."""
    email_index = _email_index(layout)
    lines: list[int] = []
    rows: list[list[str]] = []
    errors: list[RowError] = []
    for line, cells in zip(records.lines[first:], records.cells[first:], strict=True):
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
            contacts.append(Contact.from_row(line, values, extra))
        except ValidationError as exc:
            errors.extend(_row_errors(line, values.get("email", ""), exc))
    return contacts, errors


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


def _drop_duplicates(contacts: list[Contact]) -> tuple[list[Contact], list[RowError]]:
    """Keep the first contact per address (case-insensitive); report each repeated address once."""
    keys = pd.Series([contact.email_ascii.casefold() for contact in contacts], dtype=str)
    repeated = keys.duplicated(keep=False)
    positions = pd.Series(range(len(contacts)))[repeated]
    errors = [
        _duplicate_error([contacts[position] for position in group])
        for group in positions.groupby(keys[repeated], sort=False).agg(list)
    ]
    later = keys.duplicated(keep="first").to_numpy()
    kept = [contact for contact, skip in zip(contacts, later, strict=True) if not skip]
    return kept, errors


def _duplicate_error(group: list[Contact]) -> RowError:
    """Report a repeated address on its first repeat, naming every skipped row."""
    first, repeat, *others = group
    reason = f"duplicate of row {first.row}; drafted once"
    if others:
        rows = ", ".join(str(contact.row) for contact in others)
        reason += f"; also skipped row{'s' if len(others) > 1 else ''} {rows}"
    return RowError(row=repeat.row, email=repeat.email, field="email", reason=reason)
