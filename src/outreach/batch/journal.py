"""What a batch folder keeps of its sending, apart from the ledger.

`ledger.json` names the ledger the batch was first approved with. `journal.txt` is append-only:
a line for every message as it goes to the server (fsync'd before its first SMTP command) and a
line for how that ended. A message whose last line says it went (or may have) is never sent
again, whatever a ledger says.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from outreach.errors import LedgerError
from outreach.files import atomic_write_bytes
from outreach.states import State

LEDGER_LINK = "ledger.json"
JOURNAL = "journal.txt"
WENT, SENT, UNKNOWN, REFUSED, RELEASED = "sending", "sent", "unknown", "refused", "released"
_GONE = frozenset({WENT, SENT, UNKNOWN})  # the server has it, or may have it


@dataclass(frozen=True)
class LedgerLink:
    """The ledger a batch was approved with: its id and where it was."""

    id: str
    path: str


def read_link(folder: Path) -> LedgerLink | None:
    """The batch's ledger, or None before its first approval."""
    path = folder / LEDGER_LINK
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        return LedgerLink(str(data["ledger"]), str(data["path"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LedgerError(f"{path} is damaged ({exc}); restore it from a backup") from None


def write_link(folder: Path, link: LedgerLink) -> None:
    """Record the batch's ledger (at its first approval)."""
    data = json.dumps({"ledger": link.id, "path": link.path}, indent=1).encode()
    try:
        atomic_write_bytes(folder / LEDGER_LINK, data)
    except OSError as exc:
        raise LedgerError(f"cannot write {folder / LEDGER_LINK}: {exc.strerror}") from None


@dataclass(frozen=True)
class Gone:
    """A message the journal says went to the server: how it ended, and when it went."""

    state: str
    at: str


class Journal:
    """The batch's journal of what went to a server."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL
        self._fd: int | None = None

    def gone(self) -> dict[str, Gone]:
        """The messages that went to a server and were not given back since."""
        went: dict[str, str] = {}
        last: dict[str, str] = {}
        try:
            text = self.path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise LedgerError(f"cannot read {self.path}: {exc.strerror}") from None
        for line in text.splitlines():
            parts = line.split("\t")
            if len(parts) != 3:
                continue  # a line cut short by a crash
            at, message_id, state = parts
            if state == WENT:
                went[message_id] = at
            last[message_id] = state
        return {
            mid: Gone(state, went.get(mid, "")) for mid, state in last.items() if state in _GONE
        }

    def open(self) -> None:
        """Open the file for a run's lines now, so that a journal that cannot be written stops
        the run before its first claim."""
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as exc:
                raise LedgerError(f"cannot write the journal {self.path}: {exc.strerror}") from None

    def went(self, message_id: str, at: datetime) -> None:
        """The message goes to the server now: on disk before its first command."""
        self._append(message_id, WENT, at, sync=True)

    def ended(self, message_id: str, outcome: State, at: datetime) -> None:
        """How it went: sent, unknown, or anything else (the server does not have it)."""
        line = {State.SENT: SENT, State.UNKNOWN: UNKNOWN}.get(outcome, REFUSED)
        self._append(message_id, line, at, sync=False)  # on disk with the next claim

    def released(self, message_id: str, at: datetime) -> None:
        """A person found it never arrived: it may go again."""
        self._append(message_id, RELEASED, at, sync=True)

    def _append(self, message_id: str, state: str, at: datetime, *, sync: bool) -> None:
        line = f"{at.isoformat()}\t{message_id}\t{state}\n".encode()
        self.open()  # kept open for a run's many lines
        assert self._fd is not None
        try:
            os.write(self._fd, line)
            if sync:
                os.fsync(self._fd)
        except OSError as exc:
            raise LedgerError(f"cannot write the journal {self.path}: {exc.strerror}") from None

    def close(self) -> None:
        """Close the file (what was written is on disk once a later line synced it, or now)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            except OSError as exc:
                raise LedgerError(f"cannot write the journal {self.path}: {exc.strerror}") from None
            finally:
                os.close(fd)

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def accepted(gone: Mapping[str, Gone]) -> set[str]:
    """The messages whose server answered 250, of those a journal says went."""
    return {message_id for message_id, went in gone.items() if went.state == SENT}
