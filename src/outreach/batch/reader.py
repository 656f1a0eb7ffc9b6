"""Read a batch folder written by `draft`: its manifest and the exact bytes of each draft."""

import contextlib
import csv
import hashlib
import json
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from outreach.errors import InputError
from outreach.files import from_spreadsheet
from outreach.send.ledger import NewDraft


@dataclass(frozen=True)
class Draft:
    """One manifest line."""

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
    drafts: tuple[Draft, ...]

    def path(self, draft: Draft) -> Path:
        """Where a draft's .eml file is."""
        return self.folder / draft.draft

    def message_ids(self) -> list[str]:
        """Every Message-ID in the batch."""
        return [draft.message_id for draft in self.drafts]

    def for_ledger(self) -> list[NewDraft]:
        """The drafts as the ledger first records them (recipient from the manifest)."""
        return [
            NewDraft(d.message_id, self.name, d.row, d.draft, d.email.casefold())
            for d in self.drafts
        ]


def read_batch(folder: Path) -> Batch:
    """The batch in `folder`; InputError when it is not a batch folder."""
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        raise InputError(f"'{folder}' is not a batch folder: {manifest.name} not found")
    name = folder.resolve().name
    meta = folder / "batch.json"
    if meta.is_file():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            name = str(json.loads(meta.read_text("utf-8"))["batch"])
    drafts: list[Draft] = []
    with manifest.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"row", "email", "draft", "message_id"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{manifest}: column(s) missing: {', '.join(sorted(missing))}")
        for line, record in enumerate(reader, start=2):
            if not from_spreadsheet(
                record["draft"]
            ):  # on the opt-out list when drafted: nothing to send
                continue
            try:
                row = int(from_spreadsheet(record["row"]))
            except ValueError:
                raise InputError(
                    f"{manifest}:{line}: row {record['row']!r} is not a number"
                ) from None
            drafts.append(
                Draft(
                    row=row,
                    email=from_spreadsheet(record["email"]),
                    message_id=from_spreadsheet(record["message_id"]),
                    draft=from_spreadsheet(record["draft"]),
                    needs_review=from_spreadsheet(record.get("needs_review") or "") == "yes",
                )
            )
    return Batch(name, folder, tuple(drafts))


@dataclass(frozen=True)
class DraftBytes:
    """A draft file as it is now: its bytes, their SHA-256 and its envelope recipient."""

    raw: bytes
    sha256: str
    recipient: str
    message_id: str


def read_draft(path: Path) -> DraftBytes:
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
    return DraftBytes(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        recipient=recipients[0],
        message_id=str(headers.get("Message-ID", "")).strip(),
    )


def approved_bytes(path: Path, sha256: str) -> bytes | None:
    """The draft's bytes if their SHA-256 is `sha256` (what was approved), else None.

    No headers are parsed: approval ran read_draft's checks on the very bytes it pinned with
    this hash, so identical bytes pass them again. InputError when the file cannot be read.
    """
    raw = _read(path)
    return raw if hashlib.sha256(raw).hexdigest() == sha256 else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"draft '{path}' cannot be read: {exc.strerror}") from None
