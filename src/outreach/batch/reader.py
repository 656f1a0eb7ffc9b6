"""Read a batch folder written by `draft`: its manifest and the exact bytes of each draft."""

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from outreach.batch.date_header import approval_digest
from outreach.batch.layout import MANIFEST, META
from outreach.errors import InputError
from outreach.files import from_spreadsheet


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
    """Read a draft and check it can be sent to exactly one recipient; InputError if not."""
    raw = _read(path)
    # Only the header section is parsed: the parser would otherwise read every body line too.
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    headers = BytesHeaderParser().parsebytes(head)
    if headers.get_all("Bcc") or headers.get_all("Cc"):
        raise InputError(f"draft '{path}' has a Cc or Bcc header; outreach sends to one person")
    recipients = [address for _name, address in getaddresses(headers.get_all("To") or [])]
    if len(recipients) != 1 or "@" not in recipients[0]:
        raise InputError(f"draft '{path}' must have exactly one address in To")
    return DraftFile(
        raw=raw,
        digest=approval_digest(raw),
        recipient=recipients[0],
        message_id=str(headers.get("Message-ID", "")).strip(),
    )


def approved_bytes(path: Path, digest: str) -> bytes | None:
    """The draft's bytes if they are what was approved (`digest`), else None.

    No headers are parsed: approval ran read_draft's checks on the very bytes it pinned with
    this digest, so the same bytes pass them again. InputError when the file cannot be read.
    """
    raw = _read(path)
    # An approval recorded before the Date was set at sending pinned every byte, Date too.
    if approval_digest(raw) == digest or hashlib.sha256(raw).hexdigest() == digest:
        return raw
    return None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"draft '{path}' cannot be read: {exc.strerror}") from None
