"""Open a CSV file of unknown encoding and delimiter, and read its records with line numbers."""

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from outreach.errors import InputError

_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # xlsx/ods (ZIP), xls (OLE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
# On a tie the earlier one wins: a stray comma in header text is likelier than a stray ; or tab.
_DELIMITERS = ("\t", ";", ",")
_SNIFF_LIMIT = 65_536
LATIN1_FALLBACK = "outreach.latin-1-fallback"


def label(path: Path) -> str:
    """Name the file for a one-line message."""
    return "contacts file '{}'".format(" ".join(str(path).splitlines()))


def detect_encoding(path: Path) -> tuple[str, str]:
    """The file's encoding and its decoded start; InputError for workbooks, binary, empty."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_LIMIT)
            if head.startswith(_WORKBOOK_MAGIC):
                raise InputError(f"{label(path)} looks like an Excel workbook; save it as CSV")
            if head.startswith(_UTF16_BOMS):
                encoding = "utf-16"
                handle.seek(0)
                if not _decodes(handle, encoding):
                    raise InputError(f"{label(path)} starts like UTF-16 but is not valid UTF-16")
            elif b"\x00" in head:
                raise InputError(f"{label(path)} is not a text file (binary data); save it as CSV")
            else:
                handle.seek(0)
                encoding = _utf8_or_cp1252(handle, head)
    except FileNotFoundError:
        raise InputError(f"{label(path)} not found") from None
    except IsADirectoryError:
        raise InputError(f"{label(path)} is a directory, not a file") from None
    except OSError as exc:
        if path.is_dir():
            raise InputError(f"{label(path)} is a directory, not a file") from None
        raise InputError(f"{label(path)} cannot be read: {exc.strerror or exc}") from None
    try:
        text = head.decode(encoding, errors=LATIN1_FALLBACK if encoding == "cp1252" else "ignore")
    except UnicodeDecodeError:
        raise InputError(f"{label(path)} starts like UTF-16 but is not valid UTF-16") from None
    if not _has_text(path, encoding):
        raise InputError(f"{label(path)} is empty")
    return encoding, text


def _utf8_or_cp1252(handle: BinaryIO, head: bytes) -> str:
    """Strict UTF-8 (with or without BOM) if the whole file decodes, else Windows-1252."""
    if not _decodes(handle, "utf-8"):
        return "cp1252"
    return "utf-8-sig" if head.startswith(_UTF8_BOM) else "utf-8"


def _decodes(handle: BinaryIO, encoding: str) -> bool:
    """True when the whole file decodes strictly in `encoding`."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while block := handle.read(1 << 20):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _has_text(path: Path, encoding: str) -> bool:
    """True when the file holds anything but white space (and a BOM)."""
    errors = LATIN1_FALLBACK if encoding == "cp1252" else "strict"
    try:
        with path.open(encoding=encoding, errors=errors, newline="") as handle:
            while block := handle.read(1 << 16):
                if block.lstrip("\ufeff").strip():
                    return True
    except UnicodeDecodeError:
        raise InputError(f"{label(path)} starts like UTF-16 but is not valid UTF-16") from None
    return False


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes cp1252 leaves undefined as Latin-1 (C1 controls), as Windows does."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error(LATIN1_FALLBACK, _latin1_for_undefined)


def sniff_delimiter(text: str) -> str:
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


def records(lines: Iterator[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank CSV record with the line it starts on."""
    # The csv module rather than pandas: it reports line numbers through multi-line fields.
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    start = 1
    for record in reader:
        if record:
            yield start, record
        start = reader.line_num + 1


def scan(lines: Iterator[str], delimiter: str, path: Path) -> tuple[int, bool]:
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
            f"{label(path)} cannot be read as CSV near line {start} "
            f"(a quote that is never closed?): {exc}"
        ) from None
    reader_lines = reader.line_num
    # An odd number of quotes and a last record spanning lines: a quote opened and never closed.
    spans_lines = count > 0 and reader_lines > last_start
    return count, spans_lines and quotes % 2 == 1


def lines(path: Path, encoding: str) -> Iterator[str]:
    """The file's physical lines, decoded; only CR, LF and CRLF end a line."""
    errors = LATIN1_FALLBACK if encoding == "cp1252" else "strict"
    try:
        with path.open(encoding=encoding, errors=errors, newline="") as handle:
            yield from handle
    except UnicodeDecodeError:  # the file changed since it was checked
        raise InputError(f"{label(path)} is no longer valid {encoding}; did it change?") from None
    except OSError as exc:
        raise InputError(f"{label(path)} cannot be read: {exc.strerror or exc}") from None
