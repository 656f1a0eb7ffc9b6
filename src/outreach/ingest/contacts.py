"""Read a contacts CSV (Excel, LibreOffice, Sheets or CRM export) into validated contacts."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from pydantic import ValidationError

from outreach.errors import InputError
from outreach.ingest.cells import multi_line, single_line
from outreach.ingest.columns import Layout, email_index, layout_of, require_columns
from outreach.ingest.csvfile import detect_encoding, label, lines, records, scan, sniff_delimiter
from outreach.models import Contact, RowError

if TYPE_CHECKING:
    import pandas as pd

_HEADER_SEARCH = 10  # records looked at for the header line
_CHUNK = 1000  # records per pandas frame


class _Seen(NamedTuple):
    """Where an address was first seen (kept instead of the whole contact)."""

    row: int
    email: str


class ContactFile:
    """The contacts of one file: iterate to read them, validated, in file order.

    The file is checked when opened; each pass reads it again, a chunk at a time, so no list
    is held whole. `errors` holds the bad and repeated rows once a pass has ended.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.encoding, head = detect_encoding(path)
        self.delimiter = sniff_delimiter(head)
        # A first pass checks the whole file before anything is drafted and counts its records.
        self.records, self._unclosed_last = scan(self._lines(), self.delimiter, path)
        self._header_at, self._header = self._find_header()
        self._layout = layout_of(self._header)
        require_columns(self._layout, self._header, path)
        self.columns = self._layout.columns
        self.errors: list[RowError] = []

    def _lines(self) -> Iterator[str]:
        return lines(self.path, self.encoding)

    def _find_header(self) -> tuple[int, list[str]]:
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
            if "email" in layout_of(header).fields.values():
                return position, header
            seen += 1
            if seen == _HEADER_SEARCH:
                break
        if first is None:
            raise InputError(f"{label(self.path)} is empty")
        return first

    def __iter__(self) -> Iterator[Contact]:
        """The valid contacts, the first one per address (case-insensitive), in file order."""
        errors: list[RowError] = []
        first_row: dict[str, int] = {}
        repeats: dict[str, list[_Seen]] = {}
        stream = records(self._lines(), self.delimiter)
        for position, _record in enumerate(stream):
            if position == self._header_at:
                break  # title lines above the header, and the header itself
        chunk: list[tuple[int, list[str]]] = []
        for record in stream:
            chunk.append(record)
            if len(chunk) == _CHUNK:
                yield from self._first_seen(self._contacts(chunk, errors), first_row, repeats)
                chunk = []
        contacts = self._contacts(chunk, errors, last=True)
        yield from self._first_seen(contacts, first_row, repeats)
        errors.extend(_duplicate_error(first_row[key], seen) for key, seen in repeats.items())
        self.errors = sorted(errors, key=lambda error: error.row)

    def _contacts(
        self, chunk: list[tuple[int, list[str]]], errors: list[RowError], *, last: bool = False
    ) -> list[Contact]:
        lines, rows, problems = _shape_rows(chunk, len(self._header), self._layout)
        if last and self._unclosed_last and lines and lines[-1] == chunk[-1][0]:
            problems.append(_unclosed_quote_error(lines.pop(), rows.pop(), self._layout))
        contacts, invalid = _validate(lines, _frame(rows, len(self._header)), self._layout)
        errors.extend([*problems, *invalid])
        return contacts

    @staticmethod
    def _first_seen(
        contacts: list[Contact], first_row: dict[str, int], repeats: dict[str, list[_Seen]]
    ) -> Iterator[Contact]:
        """Keep the first contact per address (case-insensitive); note the repeats."""
        for contact in contacts:
            key = contact.email_ascii.casefold()
            if key in first_row:
                repeats.setdefault(key, []).append(_Seen(contact.row, contact.email))
            else:
                first_row[key] = contact.row
                yield contact


def read_contacts(path: str | Path) -> ContactFile:
    """Open a contacts file for reading; InputError if it cannot be used at all."""
    return ContactFile(Path(path))


def _shape_rows(
    records: list[tuple[int, list[str]]], width: int, layout: Layout
) -> tuple[list[int], list[list[str]], list[RowError]]:
    """Pad short rows, drop empty surplus cells, report rows with more fields than the header."""
    email_at = email_index(layout)
    lines: list[int] = []
    rows: list[list[str]] = []
    errors: list[RowError] = []
    for line, cells in records:
        size = len(cells)
        # Excel drops trailing empty cells, other tools add some: only text past the header counts.
        if size > width and any(cell.strip() for cell in cells[width:]):
            email = cells[email_at].strip()
            reason = f"has {size} fields, header has {width}"
            errors.append(RowError(row=line, email=email, field="", reason=reason))
            continue
        del cells[width:]
        cells.extend([""] * (width - size))
        lines.append(line)
        rows.append(cells)
    return lines, rows, errors


def _unclosed_quote_error(line: int, cells: list[str], layout: Layout) -> RowError:
    """Report the record that swallowed the rest of the file through an unclosed quote."""
    email = single_line(cells[email_index(layout)])[:80]
    reason = "a quoted value starting here is never closed; the rest of the file was read into it"
    return RowError(row=line, email=email, field="", reason=reason)


def _frame(rows: list[list[str]], width: int) -> "pd.DataFrame":
    """Build a string DataFrame, trimmed, from the shaped rows (every cell is text)."""
    import pandas as pd  # here, not at import: commands that read no contacts never load it

    frame = pd.DataFrame(rows, columns=range(width), dtype=str)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame


def _validate(
    lines: list[int], frame: "pd.DataFrame", layout: Layout
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
