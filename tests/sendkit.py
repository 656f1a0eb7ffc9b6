"""Shared pieces of the sending tests: a server, a drafted batch, settings that point at it."""

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from conftest import TEST_ENV
from mailserver import PASSWORD, USER, Certificates, Handler, LocalController, start
from outreach.batch.date_header import dated
from outreach.batch.reader import Batch, ManifestEntry, read_batch
from outreach.ingest.contacts import read_contacts
from outreach.pipeline import draft_batch
from outreach.send.ledger import Entry, Ledger
from outreach.send.run import RunReport, Runtime, send_batch
from outreach.send.smtp import connect
from outreach.settings import Settings

START = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)  # a Monday


@dataclass
class Server:
    """A running test server and how to reach it."""

    handler: Handler
    controller: LocalController
    certs: Certificates | None
    mode: str

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def env(self, db: Path, **extra: str) -> dict[str, str]:
        """Settings for a subprocess, as a campaign lead's .env would give them."""
        env = dict(TEST_ENV)
        env.update(
            OUTREACH_SMTP_HOST="127.0.0.1",
            OUTREACH_SMTP_PORT=str(self.port),
            OUTREACH_SMTP_SECURITY="none" if self.mode == "plain" else self.mode,
            OUTREACH_DB=str(db),
            OUTREACH_SMTP_TIMEOUT="10",
        )
        if self.mode != "plain":
            assert self.certs is not None
            env.update(
                OUTREACH_SMTP_USER=USER,
                OUTREACH_SMTP_PASSWORD=PASSWORD,
                OUTREACH_SMTP_CAFILE=str(self.certs.cafile),
            )
        env.update(extra)
        return env

    def settings(self, db: Path, **extra: Any) -> Settings:
        """The same settings for an in-process run."""
        values: dict[str, Any] = {}
        for key, value in self.env(db).items():
            name = key.removeprefix("OUTREACH_").lower()
            values["from_" if name == "from" else name] = value
        values.update(extra)
        return Settings.model_validate(values)


def serve(mode: str, certs: Certificates | None, *, smtputf8: bool = False) -> Iterator[Server]:
    """Run a server for one test and stop it afterwards."""
    handler = Handler()
    controller = start(handler, mode, certs, smtputf8=smtputf8)
    try:
        yield Server(handler, controller, certs, mode)
    finally:
        controller.stop()


def serve_in_mode(certs: Certificates, pipelining: bool) -> Iterator[Server]:
    """A STARTTLS server that offers PIPELINING or not (fixtures run tests in both modes)."""
    for running in serve("starttls", certs):
        running.handler.script.pipelining = pipelining
        yield running


def make_batch(folder: Path, settings: Settings, count: int, name: str = "b1") -> Batch:
    """Draft `count` contacts (person1@example.org …) into folder/name with the real pipeline."""
    contacts = folder / f"{name}.csv"
    lines = ["organisation,email,description"]
    lines += [
        f"Verein Nummer {i},person{i}@example.org,Ein ehrenamtlicher Verein in Berlin"
        for i in range(1, count + 1)
    ]
    contacts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    draft_batch(read_contacts(contacts), folder / "out", name, settings)
    return read_batch(folder / "out" / name)


class FakeTime:
    """A wall clock and a monotonic clock that move only when told to (or when slept on)."""

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.seconds = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)

    def clock(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.seconds += seconds

    def advance(self, delta: timedelta) -> None:
        self.seconds += delta.total_seconds()


def run(
    batch: Batch, settings: Settings, time: FakeTime | None = None, **options: Any
) -> RunReport:
    """One in-process send run against the settings' server."""
    time = time or FakeTime()
    runtime = Runtime(
        connect=lambda: connect(settings), now=time.now, clock=time.clock, sleep=time.sleep
    )
    return send_batch(batch, settings, runtime, **options)


def as_sent(settings: Settings, batch: Batch, entry: ManifestEntry) -> bytes:
    """The bytes a draft goes out with: as approved, with the Date its send run recorded."""
    with Ledger(settings.db) as ledger:
        sent = ledger.get(entry.message_id)
    assert sent is not None and sent.date, "not sent"
    return dated(batch.path(entry).read_bytes(), parsedate_to_datetime(sent.date))


def states(settings: Settings, batch: Batch) -> dict[int, Entry]:
    """The ledger's entries of a batch, by input row."""
    with Ledger(settings.db) as ledger:
        return {entry.row: entry for entry in ledger.entries(batch.message_ids()).values()}


def on_disk(db: Path) -> dict[str, str]:
    """Each message's committed state, read through a connection of its own (as another process
    would see it: uncommitted changes of the run are invisible)."""
    with closing(sqlite3.connect(db)) as connection:
        return dict(connection.execute("SELECT message_id, state FROM messages").fetchall())
