"""Read a batch folder written by `draft`: its manifest and the exact bytes of each draft."""

import csv
import errno
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses
from pathlib import Path

from outreach.batch.date_header import approval_digest
from outreach.batch.layout import MANIFEST, META
from outreach.errors import InputError
from outreach.files import from_spreadsheet
from outreach.ingest.addresses import bare_address, valid_address

MAX_DRAFT = 10_000_000  # bytes: a draft is a few kB; anything this large is not one


@dataclass(frozen=True)
class ManifestEntry:
    """One manifest line that has a draft."""

    row: int
    email: str
    message_id: str
    draft: str
    needs_review: bool


@dataclass(frozen=True)
class Batch:
    """A batch folder and its drafts in manifest order."""

    name: str
    folder: Path
    entries: tuple[ManifestEntry, ...]

    def path(self, entry: ManifestEntry) -> Path:
        """Where a draft's .eml file is."""
        return self.folder / entry.draft

    def message_ids(self) -> list[str]:
        """Every Message-ID in the batch."""
        return [entry.message_id for entry in self.entries]


@dataclass(frozen=True)
class DraftFile:
    """A draft file as it is now: its bytes, their approval digest and its envelope recipient."""

    raw: bytes
    digest: str
    recipient: str
    message_id: str


def read_meta(folder: Path) -> tuple[str, datetime] | None:
    """The batch's name and creation time from batch.json; None if there is none yet."""
    meta = folder / META
    if not meta.is_file():
        return None
    try:
        data = json.loads(meta.read_text("utf-8"))
        return str(data["batch"]), datetime.fromisoformat(data["created"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{meta} is damaged ({exc}); delete it to start the batch anew") from None


def read_batch(folder: str | Path) -> Batch:
    """The batch in `folder`; InputError when it is not a batch folder."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise InputError(f"'{folder}' is not a batch folder: {manifest.name} not found")
    meta = read_meta(folder)
    name = meta[0] if meta else folder.resolve().name
    entries: list[ManifestEntry] = []
    try:
        with manifest.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"row", "email", "draft", "message_id"} - set(reader.fieldnames or ())
            if missing:
                raise InputError(f"{manifest}: column(s) missing: {', '.join(sorted(missing))}")
            for line, record in enumerate(reader, start=2):
                cells = {key: from_spreadsheet(value or "") for key, value in record.items()}
                if not cells["draft"]:  # on the opt-out list when drafted: nothing to send
                    continue
                try:
                    row = int(cells["row"])
                except ValueError:
                    message = f"{manifest}:{line}: row {cells['row']!r} is not a number"
                    raise InputError(message) from None
                entries.append(
                    ManifestEntry(
                        row=row,
                        email=cells["email"],
                        message_id=cells["message_id"],
                        draft=cells["draft"],
                        needs_review=cells.get("needs_review") == "yes",
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{manifest} cannot be read: {exc}") from None
    return Batch(name, folder, tuple(entries))


def read_draft(path: Path) -> DraftFile:
    """Read a draft and check it goes to exactly one plain address; InputError saying why not.

    The header is read as strictly as a mail server might read it loosely: only CRLF ends a
    line, folded lines are joined, a name may have white space before its colon.
    """
    return _checked(_read(path), path)


def _checked(raw: bytes, path: Path) -> DraftFile:
    fields = _header_fields(raw, f"draft '{path}'")
    for name, _value in fields:
        if name in _RECIPIENT_HEADERS:
            raise InputError(
                f"draft '{path}' has a {name.title()} header; outreach sends to one person"
            )
    to = [value for name, value in fields if name == "to"]
    recipients = [address for _name, address in getaddresses(to)]
    if len(to) != 1 or len(recipients) != 1 or "@" not in recipients[0]:
        raise InputError(f"draft '{path}' must have exactly one address in one To header")
    address = recipients[0]
    if bare_address(address) != address or not address.isprintable():
        reason = "it has invisible or control characters"
        raise InputError(f"draft '{path}': To is not one plain address: {reason}")
    try:
        valid_address(address)
    except ValueError as exc:
        raise InputError(f"draft '{path}': To is not one plain address: {exc}") from None
    message_id = next((value.strip() for name, value in fields if name == "message-id"), "")
    return DraftFile(raw, approval_digest(raw), recipients[0], message_id)


# Headers that would add a recipient, for a server that takes them from the message.
_RECIPIENT_HEADERS = frozenset({"cc", "bcc", "resent-to", "resent-cc", "resent-bcc"})
_FIELD_NAME = re.compile(rb"[!-9;-~]+")  # printable ASCII but the colon (RFC 5322 2.2)


def _header_fields(raw: bytes, what: str) -> list[tuple[str, str]]:
    """The header's fields as (lower-case name, unfolded value); InputError if malformed."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        raise InputError(f"{what} has no blank line (CRLF) after its header")
    fields: list[tuple[str, bytes]] = []
    for number, line in enumerate(raw[:end].split(b"\r\n"), start=1):
        if b"\r" in line or b"\n" in line or b"\x00" in line:
            raise InputError(f"{what}: header line {number} has a lone CR, LF or a NUL byte")
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + line)
            continue
        name, colon, value = line.partition(b":")
        name = name.rstrip(b" \t")  # obsolete syntax (RFC 5322 4.5.2): "Bcc : ..." is Bcc
        if not colon or not _FIELD_NAME.fullmatch(name):
            raise InputError(f"{what}: header line {number} is not a header field")
        fields.append((name.decode("ascii").lower(), value))
    try:
        return [(name, value.decode("utf-8")) for name, value in fields]
    except UnicodeDecodeError:
        raise InputError(f"{what}: its header is neither ASCII nor UTF-8") from None


def approved_bytes(path: Path, digest: str) -> bytes | None:
    """The draft's bytes if they are what was approved (`digest`), else None.

    No headers are parsed: approval ran read_draft's checks on the very bytes it pinned with
    this digest, so the same bytes pass them again (a changed Date header goes: the run writes
    its own). InputError when the file cannot be read.
    """
    raw = _read(path)
    if approval_digest(raw) == digest:
        return raw
    # An approval recorded before the Date was set at sending pinned every byte, Date too; the
    # checks of that time were fewer, so today's run on those bytes now.
    if hashlib.sha256(raw).hexdigest() == digest:
        _checked(raw, path)
        return raw
    return None


def _read(path: Path) -> bytes:
    """A draft's bytes: a regular file only (no link, FIFO or device), at most MAX_DRAFT."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        reason = "it is a link" if exc.errno == errno.ELOOP else exc.strerror
        raise InputError(f"draft '{path}' cannot be read: {reason}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"draft '{path}' is not a regular file")
        if info.st_size > MAX_DRAFT:
            raise InputError(f"draft '{path}' is over {MAX_DRAFT // 1_000_000} MB")
        try:
            return handle.read(MAX_DRAFT + 1)
        except OSError as exc:
            raise InputError(f"draft '{path}' cannot be read: {exc.strerror}") from None
