"""The sending ledger: one SQLite file that records every message's state, durably."""

import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from outreach.batch.reader import Batch
from outreach.errors import LedgerError
from outreach.states import State

Clock = Callable[[], datetime]

# Each step moves the schema from version i to i + 1; never edit a step once released.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE messages (
        message_id TEXT PRIMARY KEY,
        batch TEXT NOT NULL,
        row INTEGER NOT NULL,
        draft TEXT NOT NULL,
        recipient TEXT NOT NULL,
        state TEXT NOT NULL,
        sha256 TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try TEXT NOT NULL DEFAULT '',
        reply TEXT NOT NULL DEFAULT '',
        updated TEXT NOT NULL
    );
    CREATE INDEX messages_state ON messages (state, next_try);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_state_at ON events (state, at);
    """,
    """
    CREATE TABLE suppressions (
        entry TEXT PRIMARY KEY,
        added TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT ''
    );
    """,
    # The Date header a message was sent with (drafts are dated when they go).
    "ALTER TABLE messages ADD COLUMN date TEXT NOT NULL DEFAULT ''",
    # The ledger's identity, which batches record; where each message's batch folder is.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('id', lower(hex(randomblob(16))));
    ALTER TABLE messages ADD COLUMN folder TEXT NOT NULL DEFAULT ''
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


@dataclass(frozen=True)
class Entry:
    """One message as the ledger knows it."""

    message_id: str
    batch: str
    row: int
    draft: str
    recipient: str
    state: State
    sha256: str
    attempts: int
    next_try: str
    reply: str
    updated: str
    date: str
    folder: str


def timestamp(moment: datetime) -> str:
    """A UTC time that sorts as text: every stored time uses this one format."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class Ledger:
    """The ledger file; every method that changes state commits before it returns."""

    def __init__(self, path: Path, *, now: Clock = utc_now, readonly: bool = False) -> None:
        self.path = path
        self.now = now
        if readonly and not path.is_file():
            raise LedgerError(f"ledger '{path}' not found")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"ledger '{path}' cannot be opened: {_reason(exc)}") from None
        self._db.row_factory = sqlite3.Row
        try:
            self._prepare(readonly)
        except sqlite3.Error as exc:
            self._db.close()
            raise _problem(path, exc, "used") from None
        except BaseException:
            self._db.close()
            raise

    def _prepare(self, readonly: bool) -> None:
        self._db.execute("PRAGMA busy_timeout = 30000")
        if readonly:
            # Not SQLite's mode=ro: a read-only connection leaves -wal and -shm files behind,
            # while a normal one that writes nothing leaves the folder as it found it.
            self._db.execute("PRAGMA query_only = ON")
        else:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger '{self.path}' has schema version {version}; this outreach knows only up "
                f"to {SCHEMA_VERSION}: upgrade outreach"
            )
        if version < SCHEMA_VERSION:
            if readonly:
                raise LedgerError(f"ledger '{self.path}' needs a migration; run without --dry-run")
            self._migrate()

    def _migrate(self) -> None:
        with self._transaction():
            # Read again under the write lock: another process may have migrated meanwhile.
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            for step in _MIGRATIONS[version:]:
                for statement in filter(str.strip, step.split(";")):
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed (and with synchronous=FULL, on disk) at the end.

        Inside `atomic()`, it joins the open transaction instead.
        """
        if self._db.in_transaction:
            yield self._db
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise _problem(self.path, exc, "written") from None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group many changes into one transaction: all are on disk at the end, or none.

        For commands a person runs over a whole batch (approve, reject), and for a send run's
        one commit per message (an outcome with the next `sending`); never around a network
        step, where each change must be committed before the next.
        """
        with self._transaction():
            yield

    # Reading

    def _query(self, query: str, parameters: Sequence[object]) -> list[sqlite3.Row]:
        try:
            return self._db.execute(query, parameters).fetchall()
        except sqlite3.Error as exc:
            raise _problem(self.path, exc, "read") from None

    @property
    def identity(self) -> str:
        """The ledger's own random id, made when it was created."""
        return str(self._query("SELECT value FROM meta WHERE key = 'id'", ())[0][0])

    def get(self, message_id: str) -> Entry | None:
        """The entry for a Message-ID, if the ledger has it."""
        found = self._query("SELECT * FROM messages WHERE message_id = ?", (message_id,))
        return _entry(found[0]) if found else None

    def entries(self, message_ids: Iterable[str]) -> dict[str, Entry]:
        """The entries the ledger has among these Message-IDs."""
        wanted = list(message_ids)
        found: dict[str, Entry] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT * FROM messages WHERE message_id IN ({marks})"
            for row in self._query(query, chunk):
                found[row["message_id"]] = _entry(row)
        return found

    def due(self, message_ids: Iterable[str]) -> list[Entry]:
        """Messages ready to go now: approved, or deferred with their next try reached."""
        now = timestamp(self.now())
        ready = [
            entry
            for entry in self.entries(message_ids).values()
            if entry.state == State.APPROVED
            or (entry.state == State.DEFERRED and entry.next_try <= now)
        ]
        return sorted(ready, key=lambda entry: (entry.row, entry.message_id))

    def delivered_since(self, moment: datetime) -> int:
        """How many messages reached the DATA phase since `moment` (for the daily limit)."""
        # Each move to `sending` is one transmission (a resend after `unknown` counts again;
        # `resolve --sent` does not), which is what a provider's daily quota counts.
        query = "SELECT COUNT(*) FROM events WHERE state = ? AND at > ?"
        return int(self._query(query, (State.SENDING, timestamp(moment)))[0][0])

    def history(self, message_id: str) -> list[tuple[str, str, str]]:
        """(time, state, detail) of every change to one message, oldest first."""
        query = "SELECT at, state, detail FROM events WHERE message_id = ? ORDER BY id"
        return [tuple(row) for row in self._query(query, (message_id,))]

    # Changing

    def enter(self, batch: Batch) -> int:
        """Add the batch's drafts not yet in the ledger as `drafted`; return how many were new."""
        now = timestamp(self.now())
        added = 0
        folder = str(batch.folder.resolve())
        with self._transaction() as db:
            for draft in batch.entries:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO messages"
                    " (message_id, batch, row, draft, recipient, state, updated, folder)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (draft.message_id, batch.name, draft.row, draft.draft, draft.email.casefold(),
                     State.DRAFTED, now, folder),
                )  # fmt: skip
                if cursor.rowcount:
                    added += 1
                    self._event(db, draft.message_id, State.DRAFTED, "", now)
                else:  # drafted again: the file may have a new name (the organisation's changed)
                    db.execute(
                        "UPDATE messages SET draft = ?, row = ?, folder = ? WHERE message_id = ?"
                        " AND (draft != ? OR row != ? OR folder != ?)",
                        (draft.draft, draft.row, folder, draft.message_id,
                         draft.draft, draft.row, folder),
                    )  # fmt: skip
        return added

    def move(
        self,
        message_id: str,
        to: State,
        *,
        allowed_from: Sequence[State],
        reply: str = "",
        next_try: datetime | None = None,
        sha256: str | None = None,
        recipient: str | None = None,
        date: str | None = None,
        attempt: bool = False,
        restart: bool = False,
        at: datetime | None = None,
        if_sha256: str | None = None,
    ) -> bool:
        """Move one message to state `to` if it is in one of `allowed_from`; commit at once.

        `at` is when it happened (default now), for a change recorded a moment after the fact;
        with `if_sha256`, the move happens only if that is still the approved draft's hash.
        """
        now = timestamp(at or self.now())
        sets = ["state = ?", "reply = ?", "next_try = ?", "updated = ?"]
        values: list[object] = [to, reply, timestamp(next_try) if next_try else "", now]
        if sha256 is not None:
            sets.append("sha256 = ?")
            values.append(sha256)
        if recipient is not None:
            sets.append("recipient = ?")
            values.append(recipient)
        if date is not None:
            sets.append("date = ?")
            values.append(date)
        if attempt:
            sets.append("attempts = attempts + 1")
        if restart:  # a person approved it again: its tries count from zero
            sets.append("attempts = 0")
        marks = ",".join("?" * len(allowed_from))
        where = f"message_id = ? AND state IN ({marks})"
        conditions: list[object] = [message_id, *allowed_from]
        if if_sha256 is not None:
            where += " AND sha256 = ?"
            conditions.append(if_sha256)
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE messages SET {', '.join(sets)} WHERE {where}", (*values, *conditions)
            )
            if cursor.rowcount:
                self._event(db, message_id, to, reply, now)
        return bool(cursor.rowcount)

    def recover_interrupted(self, accepted: Collection[str] = ()) -> list[str]:
        """Settle messages left in `sending` by a run that died: `sent` for those known to be
        `accepted` (the server's 250 was seen), else `unknown`; return the unknown ones."""
        now = timestamp(self.now())
        unknown: list[str] = []
        with self._transaction() as db:
            query = "SELECT message_id FROM messages WHERE state = ?"
            for (message_id,) in db.execute(query, (State.SENDING,)).fetchall():
                if message_id in accepted:
                    state, reason = State.SENT, "the server accepted it (250), as was recorded"
                else:
                    state = State.UNKNOWN
                    reason = "a run ended while this message was being sent; the server may have it"
                    unknown.append(message_id)
                db.execute(
                    "UPDATE messages SET state = ?, reply = ?, updated = ? WHERE message_id = ?",
                    (state, reason, now, message_id),
                )
                self._event(db, message_id, state, reason, now)
        return unknown

    def _event(
        self, db: sqlite3.Connection, message_id: str, state: str, detail: str, at: str
    ) -> None:
        db.execute(
            "INSERT INTO events (message_id, at, state, detail) VALUES (?, ?, ?, ?)",
            (message_id, at, state, detail),
        )

    # Suppressions (the suppression module gives them meaning)

    def suppression_entries(self) -> list[tuple[str, str, str]]:
        """(entry, added, source) of every suppression, sorted."""
        query = "SELECT entry, added, source FROM suppressions ORDER BY entry"
        return [tuple(row) for row in self._query(query, ())]

    def add_suppressions(self, entries: Iterable[str], source: str) -> int:
        """Add normalised entries; return how many were new."""
        now = timestamp(self.now())
        added = 0
        with self._transaction() as db:
            for entry in entries:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO suppressions (entry, added, source) VALUES (?, ?, ?)",
                    (entry, now, source),
                )
                added += cursor.rowcount
        return added

    def remove_suppression(self, entry: str) -> bool:
        """Remove one normalised entry; return whether it was there."""
        with self._transaction() as db:
            cursor = db.execute("DELETE FROM suppressions WHERE entry = ?", (entry,))
        return bool(cursor.rowcount)


def backoff(attempts: int, base: timedelta = timedelta(minutes=5)) -> timedelta:
    """Wait before the next try after `attempts` temporary refusals: 5, 10, 20 … minutes, ≤ 12 h."""
    wait: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(wait, timedelta(hours=12))


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(**{**dict(row), "state": State(row["state"])})


def _problem(path: Path, exc: sqlite3.Error, doing: str) -> LedgerError:
    """One line for a failed use of the ledger; a damaged file says how to recover it."""
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return LedgerError(
            f"ledger '{path}' is damaged ({exc}): keep a copy, recover it with `sqlite3 {path} "
            f".recover | sqlite3 recovered.db` and set OUTREACH_DB to recovered.db; each batch "
            "folder's journal.txt lists what went to the server"
        )
    return LedgerError(f"ledger '{path}' cannot be {doing}: {exc}")


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
