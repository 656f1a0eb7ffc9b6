"""Atomic file writes and spreadsheet-safe CSV files."""

import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

# A cell that starts with one of these is run as a formula by Excel and LibreOffice.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def atomic_write_bytes(path: str | Path, data: bytes, *, sync: bool = True) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one."""
    # Plain os calls and string paths rather than atomic_open's file object: this runs once per
    # draft.
    temp = _temp_name(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        _remove_temp(temp)
        raise


def _remove_temp(temp: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(temp)


def _temp_name(path: str | Path) -> str:
    """A name of our own (one writer per process) instead of mkstemp's random-name search."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.{os.getpid()}.tmp")


@contextmanager
def atomic_open(
    path: Path, mode: str = "w", encoding: str | None = "utf-8", *, sync: bool = True
) -> Iterator[IO[Any]]:
    """Open a temporary file next to `path` and move it into place when the block succeeds.

    With `sync`, the data reaches the disk before the rename, so it survives a power cut too.
    The folder must exist.
    """
    temp = _temp_name(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        text_encoding = None if "b" in mode else encoding
        newline = None if "b" in mode else ""
        with open(fd, mode, encoding=text_encoding, newline=newline) as handle:
            yield handle
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        _remove_temp(temp)
        raise


def spreadsheet_safe(value: object) -> str:
    """A cell value that Excel shows as text: formula starts are neutralised with a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def from_spreadsheet(cell: str) -> str:
    """Undo spreadsheet_safe: drop the quote put before a formula-like value."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS):
        return cell[1:]
    return cell


class SpreadsheetWriter:
    """CSV rows by column name, every cell spreadsheet-safe; the header is written first."""

    def __init__(
        self, handle: IO[str], columns: Sequence[str], lineterminator: str = "\r\n"
    ) -> None:
        self._writer = csv.writer(handle, lineterminator=lineterminator)
        self._columns = columns
        self._writer.writerow(columns)

    def row(self, values: Mapping[str, object]) -> None:
        """Write one row; missing columns are empty."""
        self._writer.writerow([spreadsheet_safe(values.get(c, "")) for c in self._columns])


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """Write a UTF-8-with-BOM CSV that Excel opens with the right encoding, atomically."""
    with atomic_open(path, "w", encoding="utf-8-sig") as handle:
        writer = SpreadsheetWriter(handle, columns)
        for row in rows:
            writer.row(row)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """The same CSV as text (for standard output), without a BOM."""
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer, columns, lineterminator="\n")
    for row in rows:
        writer.row(row)
    return buffer.getvalue()
