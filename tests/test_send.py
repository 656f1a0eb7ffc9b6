"""Sending against a real SMTP server on 127.0.0.1: approval, outcomes, pace, opt-outs, TLS."""

import itertools
import random
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mailserver import USER, Certificates, Delivery
from outreach.batch.date_header import without_date
from outreach.batch.reader import Batch, ManifestEntry
from outreach.errors import InputError, SmtpConfigError
from outreach.send.approval import Selection, approve, reject, resolve
from outreach.send.ledger import Ledger
from outreach.send.run import Runtime, send_batch
from outreach.send.smtp import Connection, connect
from outreach.send.status import batch_status
from outreach.send.suppression import add as suppress
from outreach.settings import Settings
from sendkit import (
    START,
    FakeTime,
    Server,
    as_sent,
    make_batch,
    on_disk,
    run,
    serve,
    states,
)  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "outreach.db"


@pytest.fixture
def conf(server: Server, db: Path) -> Settings:
    return server.settings(db)


def approve_all(settings: Settings, batch: Batch) -> None:
    with Ledger(settings.db) as ledger:
        approve(ledger, batch, Selection(all=True).pick(batch))


def test_nothing_is_sent_before_approval(tmp_path: Path, conf: Settings, server: Server) -> None:
    from outreach.errors import LedgerError

    batch = make_batch(tmp_path, conf, 3)
    with pytest.raises(LedgerError, match=r"no ledger at .*`outreach approve` makes the first one"):
        run(batch, conf)
    assert not conf.db.exists()  # a send never makes a ledger
    with Ledger(conf.db) as ledger:
        approve(ledger, batch, [])  # a ledger, with nothing approved in it
    report = run(batch, conf)
    assert report.lines == [] and report.due == 0
    assert server.handler.deliveries == []
    assert {entry.state for entry in states(conf, batch).values()} == {"drafted"}


def test_approved_bytes_go_out_once_over_one_connection(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 3)
    with Ledger(conf.db) as ledger:
        approve(ledger, batch, Selection(rows=(2, 4)).pick(batch))
    report = run(batch, conf)
    assert report.count("sent") == 2
    deliveries = server.handler.deliveries
    assert [d.rcpt_tos for d in deliveries] == [["person1@example.org"], ["person3@example.org"]]
    for delivery, draft in zip(deliveries, (batch.entries[0], batch.entries[2]), strict=True):
        assert delivery.content == as_sent(conf, batch, draft)  # what was approved, dated now
        assert delivery.mail_from == "partnerships@example.org"
        assert delivery.login == USER.encode()
        assert b"\nBcc:" not in delivery.content
    assert server.handler.connections == 1
    # Reruns send nothing again, and approving the rest sends only the rest.
    assert run(batch, conf).lines == []
    approve_all(conf, batch)
    assert run(batch, conf).count("sent") == 1
    assert set(server.handler.count_by_message_id().values()) == {1}
    assert len(server.handler.deliveries) == 3


@pytest.mark.parametrize("reply", ["451 4.3.0 try again later", "452 4.2.2 mailbox full",
                                   "552 5.2.2 over quota"])  # fmt: skip
def test_temporary_refusal_at_rcpt_defers_with_backoff(
    tmp_path: Path, conf: Settings, server: Server, reply: str
) -> None:
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    server.handler.script.rcpt["person2@example.org"] = [reply, reply]
    time = FakeTime()
    report = run(batch, conf, time)
    assert [line.result for line in report.lines] == ["sent", "deferred", "sent"]
    deferred = states(conf, batch)[3]
    assert deferred.state == "deferred" and deferred.reply == reply
    assert deferred.next_try.startswith("2030-03-04T10:05")  # 5 minutes
    assert run(batch, conf, time).lines == []  # not due yet
    time.advance(timedelta(minutes=5))
    assert run(batch, conf, time).count("deferred") == 1
    assert states(conf, batch)[3].next_try.startswith("2030-03-04T10:15")  # then 10 minutes
    time.advance(timedelta(minutes=10))
    assert run(batch, conf, time).count("sent") == 1
    assert sorted(server.handler.count_by_message_id().values()) == [1, 1, 1]


@pytest.mark.parametrize(
    ("where", "reply"),
    [("rcpt", "550 5.1.1 no such user"), ("data", "552 5.3.4 message too big"),
     ("data", "554 5.7.1 rejected as spam")],
)  # fmt: skip
def test_permanent_refusal_fails_that_message_and_the_run_goes_on(
    tmp_path: Path, conf: Settings, server: Server, where: str, reply: str
) -> None:
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    getattr(server.handler.script, where)["person1@example.org"] = [reply]
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["failed", "sent", "sent"]
    assert report.needs_attention
    assert states(conf, batch)[2].reply == reply
    assert run(batch, conf).lines == []  # never retried by itself
    status = batch_status(batch, conf.db)
    assert status.counts["failed"] == 1 and status.attention[0].reason == reply


def test_a_refused_sender_stops_the_run_and_leaves_the_message_approved(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    server.handler.script.mail = ["550 5.7.1 sender not allowed"]
    with pytest.raises(SmtpConfigError, match="refused the sender"):
        run(batch, conf)
    assert server.handler.deliveries == []
    assert {entry.state for entry in states(conf, batch).values()} == {"approved"}
    report = run(batch, conf)  # the sender is allowed again
    assert [line.result for line in report.lines] == ["sent", "sent", "sent"]
    assert not report.recovered  # nothing was left in 'sending' to become 'unknown'
    assert sorted(server.handler.count_by_message_id().values()) == [1, 1, 1]


def test_a_refused_sender_leaves_a_deferred_message_deferred(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 1)
    approve_all(conf, batch)
    server.handler.script.rcpt["person1@example.org"] = ["451 4.7.1 try again later"]
    time = FakeTime()
    run(batch, conf, time)
    time.advance(timedelta(minutes=5))  # due again
    server.handler.script.mail = ["550 5.7.1 sender not allowed"]
    with pytest.raises(SmtpConfigError, match="refused the sender"):
        run(batch, conf, time)
    entry = states(conf, batch)[2]
    assert entry.state == "deferred" and entry.attempts == 1
    assert entry.next_try.startswith("2030-03-04T10:05")
    assert run(batch, conf, time).count("sent") == 1


def test_421_defers_and_the_run_reconnects(tmp_path: Path, conf: Settings, server: Server) -> None:
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    server.handler.script.rcpt["person2@example.org"] = ["421 4.3.2 shutting down"]
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["sent", "deferred", "sent"]
    assert server.handler.connections == 2
    assert not report.stopped


def test_connection_lost_twice_ends_the_run_and_leaves_the_rest(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 4)
    approve_all(conf, batch)
    for address in ("person1@example.org", "person2@example.org"):
        server.handler.script.rcpt[address] = ["421 4.3.2 going away"]
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["deferred", "deferred"]
    assert report.stopped.startswith("the connection was lost twice")
    assert {states(conf, batch)[row].state for row in (4, 5)} == {"approved"}
    assert run(batch, conf).count("sent") == 2


def test_connection_dropped_after_the_final_dot_is_unknown_and_never_resent(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    server.handler.script.drop_after_dot.add("person1@example.org")
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["unknown", "sent", "sent"]
    assert report.needs_attention
    unknown = states(conf, batch)[2]
    assert unknown.state == "unknown" and "after the message was sent" in unknown.reply
    assert run(batch, conf).lines == []
    status = batch_status(batch, conf.db)
    assert [item.state for item in status.attention] == ["unknown"]
    # A person checks the Sent folder, finds nothing, and asks for it again.
    with Ledger(conf.db) as ledger:
        assert resolve(ledger, unknown.message_id.strip("<>"), sent=False) == "approved"
        with pytest.raises(InputError, match="is approved, not unknown"):
            resolve(ledger, unknown.message_id, sent=True)
    assert run(batch, conf).count("sent") == 1
    assert sorted(server.handler.count_by_message_id().values()) == [1, 1, 1]


def test_a_run_killed_while_sending_leaves_unknown_not_a_resend(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 2)
    approve_all(conf, batch)
    first = batch.entries[0].message_id
    with Ledger(conf.db) as ledger:  # what a SIGKILL between "sending" and the reply leaves
        assert ledger.move(first, "sending", allowed_from=("approved",))
    report = run(batch, conf)
    assert report.recovered == [first] and report.needs_attention
    assert states(conf, batch)[2].state == "unknown"
    assert [d.message_id for d in server.handler.deliveries] == [batch.entries[1].message_id]
    with Ledger(conf.db) as ledger:
        resolve(ledger, first, sent=True)
    assert states(conf, batch)[2].state == "sent"


def test_sending_is_on_disk_before_the_data_ends_and_outcomes_follow_in_one_commit(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    """At each message's final dot, another reader of the ledger file sees that message as
    `sending` and every message the run dealt with before it in its final state."""
    batch = make_batch(tmp_path, conf, 7)
    approve_all(conf, batch)
    with Ledger(conf.db) as ledger:
        suppress(ledger, ["person2@example.org"])
    changed = batch.path(batch.entries[2])
    changed.write_bytes(changed.read_bytes().replace(b"Verein Nummer 3", b"Verein Nr. 3"))
    server.handler.script.rcpt["person4@example.org"] = ["451 4.3.0 try again later"]
    server.handler.script.data["person6@example.org"] = ["554 5.7.1 rejected as spam"]
    seen: list[tuple[str, dict[str, str]]] = []

    def at_the_dot(delivery: Delivery) -> None:
        seen.append((delivery.message_id, on_disk(conf.db)))

    server.handler.script.on_data = at_the_dot
    report = run(batch, conf)
    results = [line.result for line in report.lines]
    assert results == ["sent", "suppressed", "drafted", "deferred", "sent", "failed", "sent"]
    assert [message_id for message_id, _ in seen] == [
        line.message_id for line in report.lines if line.result in ("sent", "failed")
    ]
    order = [line.message_id for line in report.lines]
    for message_id, states_then in seen:
        assert states_then[message_id] == "sending"
        assert list(states_then.values()).count("sending") == 1
        for line in report.lines[: order.index(message_id)]:
            assert states_then[line.message_id] == line.result, line
    # The last outcome is on disk when the run returns.
    assert on_disk(conf.db) == {line.message_id: line.result for line in report.lines}


@pytest.mark.parametrize("rate", [60, 0])
def test_no_outcome_waits_uncommitted_through_a_pause_or_a_reconnect(
    tmp_path: Path, server: Server, db: Path, rate: int
) -> None:
    """Each pause of the rate limiter and each connection attempt sees every earlier outcome
    on disk and no message in `sending`."""
    conf = server.settings(db, rate=rate)
    batch = make_batch(tmp_path, conf, 4)
    approve_all(conf, batch)
    server.handler.script.rcpt["person2@example.org"] = ["421 4.3.2 shutting down"]
    seen: list[tuple[str, dict[str, str]]] = []

    class Watched(FakeTime):
        def sleep(self, seconds: float) -> None:
            seen.append(("pause", on_disk(db)))
            super().sleep(seconds)

    time = Watched()

    def watched_connect() -> Connection:
        seen.append(("connect", on_disk(db)))
        return connect(conf)

    runtime = Runtime(connect=watched_connect, now=time.now, clock=time.clock, sleep=time.sleep)
    report = send_batch(batch, conf, runtime)
    assert [line.result for line in report.lines] == ["sent", "deferred", "sent", "sent"]
    ids = [line.message_id for line in report.lines]
    expected = [("connect", 0), ("pause", 1), ("pause", 2), ("connect", 2), ("pause", 3)]
    if not rate:
        expected = [("connect", 0), ("connect", 2)]
    assert [what for what, _ in seen] == [what for what, _ in expected]
    for (_, states_then), (_, done) in zip(seen, expected, strict=True):
        assert "sending" not in states_then.values()
        assert [states_then[mid] for mid in ids[:done]] == [x.result for x in report.lines[:done]]


def rejected_once_read(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, batch: Batch, target: ManifestEntry
) -> None:
    """`target` is rejected (as by another process) just after the run has read its bytes."""
    import outreach.send.decide

    read = outreach.send.decide.approved_bytes

    def read_then_rejected(path: Path, sha256: str) -> bytes | None:
        raw = read(path, sha256)
        if path == batch.path(target):
            with Ledger(settings.db) as other:
                reject(other, batch, [target])
        return raw

    monkeypatch.setattr(outreach.send.decide, "approved_bytes", read_then_rejected)


def test_a_message_rejected_while_its_transaction_is_open_is_not_sent(
    tmp_path: Path, conf: Settings, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`outreach reject` can land between the run's last look at a message and its claim: the
    claim fails, nothing of the message reaches the server, and the run goes on."""
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    rejected_once_read(monkeypatch, conf, batch, batch.entries[1])
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["sent", "skipped", "sent"]
    assert not report.stopped and not report.needs_attention
    assert states(conf, batch)[3].state == "rejected"
    assert [d.rcpt_tos for d in server.handler.deliveries] == [
        ["person1@example.org"],
        ["person3@example.org"],
    ]
    assert server.handler.connections == 1  # the message never got as far as the server


def test_a_draft_edited_and_approved_again_while_its_transaction_is_open_goes_next_run(
    tmp_path: Path, conf: Settings, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim checks the approved hash too: bytes read just before a new approval are not
    sent in its place, even though they were approved a moment earlier."""
    import outreach.send.decide

    batch = make_batch(tmp_path, conf, 2)
    approve_all(conf, batch)
    target = batch.path(batch.entries[0])
    old = target.read_bytes()
    new = old.replace(b"Verein Nummer 1", b"Verein Nummer Eins")
    read = outreach.send.decide.approved_bytes

    def read_then_approved_again(path: Path, sha256: str) -> bytes | None:
        raw = read(path, sha256)
        if path == target and target.read_bytes() == old:
            target.write_bytes(new)
            with Ledger(conf.db) as other:  # as another process would
                approve(other, batch, [batch.entries[0]])
        return raw

    monkeypatch.setattr(outreach.send.decide, "approved_bytes", read_then_approved_again)
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["skipped", "sent"]
    assert states(conf, batch)[2].state == "approved"
    assert run(batch, conf).count("sent") == 1
    sent = [without_date(d.content) for d in server.handler.deliveries]
    assert sent[-1] == without_date(new) and without_date(old) not in sent


def test_a_message_rejected_meanwhile_and_refused_at_rcpt_is_skipped_not_deferred(
    tmp_path: Path, conf: Settings, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message rejected meanwhile is left to the person who rejected it before the server
    is asked: no deferral for the server's refusal, no attempt counted."""
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    server.handler.script.rcpt["person2@example.org"] = ["451 4.3.0 try again later"]
    rejected_once_read(monkeypatch, conf, batch, batch.entries[1])
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["sent", "skipped", "sent"]
    entry = states(conf, batch)[3]
    assert entry.state == "rejected" and entry.attempts == 0 and entry.next_try == ""
    assert len(server.handler.deliveries) == 2


def test_a_claim_that_cannot_be_committed_stops_the_run_before_its_message_goes(
    tmp_path: Path, conf: Settings, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim that cannot be committed ends the run with one clear error before its message
    goes, and what was done before stays on disk."""
    import sqlite3

    from outreach.errors import LedgerError

    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    move = Ledger.move

    def full_disk_at_the_second_claim(self: Ledger, message_id: str, to: str, **kw):  # type: ignore[no-untyped-def]
        if to == "sending" and message_id == batch.entries[1].message_id:
            raise sqlite3.OperationalError("database or disk is full")
        return move(self, message_id, to, **kw)

    monkeypatch.setattr(Ledger, "move", full_disk_at_the_second_claim)
    with pytest.raises(LedgerError, match="cannot be written: database or disk is full"):
        run(batch, conf)
    assert [d.rcpt_tos for d in server.handler.deliveries] == [["person1@example.org"]]
    monkeypatch.undo()
    assert [entry.state for _, entry in sorted(states(conf, batch).items())] == [
        "sent", "approved", "approved"
    ]  # fmt: skip
    assert run(batch, conf).count("sent") == 2


def test_every_line_is_logged_once_in_the_order_of_the_report(
    tmp_path: Path, conf: Settings, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """All lines, the last one too, each once, in the order the report has them."""
    batch = make_batch(tmp_path, conf, 5)
    approve_all(conf, batch)
    with Ledger(conf.db) as ledger:
        suppress(ledger, ["person2@example.org"])
    server.handler.script.data["person4@example.org"] = ["554 5.7.1 rejected as spam"]
    with caplog.at_level("INFO", logger="outreach.send.run"):
        report = run(batch, conf)
    assert [line.result for line in report.lines] == [
        "sent",
        "suppressed",
        "sent",
        "failed",
        "sent",
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "outreach.send.run"]
    assert logged == [
        f"{x.result} row {x.row} {x.recipient} {x.message_id}: {x.detail}" for x in report.lines
    ]
    assert [r.levelname for r in caplog.records if r.name == "outreach.send.run"] == [
        "INFO", "INFO", "INFO", "WARNING", "INFO"
    ]  # fmt: skip


@pytest.mark.parametrize("seed", range(10))
def test_refusals_drops_and_rejections_mid_run_never_deliver_twice_or_against_the_ledger(
    tmp_path: Path,
    conf: Settings,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    """Randomised: the server refuses, fails or drops some messages, and another connection
    rejects others just as the run reads a draft (that one, the next or the one after: before,
    during or after its transaction). Nothing arrives twice, nothing rejected arrives, nothing
    stays `sending`, and the ledger agrees with the report (a deferral or failure may be
    rejected afterwards)."""
    import outreach.send.decide

    chance = random.Random(seed)
    count = 30
    batch = make_batch(tmp_path, conf, count)
    approve_all(conf, batch)
    script = server.handler.script
    for number in range(1, count + 1):
        address, draw = f"person{number}@example.org", chance.random()
        if draw < 0.1:
            script.rcpt[address] = ["451 4.3.0 try again later"]
        elif draw < 0.15:
            script.rcpt[address] = ["550 5.1.1 no such user"]
        elif draw < 0.2:
            script.data[address] = ["554 5.7.1 rejected as spam"]
        elif draw < 0.23:
            script.drop_after_dot.add(address)
    reading = {}  # the draft whose reading triggers a rejection -> the draft rejected
    for index in chance.sample(range(count), 8):
        victim = min(index + chance.choice((0, 1, 2)), count - 1)
        reading[batch.path(batch.entries[index])] = batch.entries[victim]
    read = outreach.send.decide.approved_bytes
    rejected: set[str] = set()

    def read_then_reject(path: Path, sha256: str) -> bytes | None:
        raw = read(path, sha256)
        if path in reading:
            victim = reading.pop(path)
            with Ledger(conf.db) as other:
                if reject(other, batch, [victim]).changed:
                    rejected.add(victim.message_id)
        return raw

    monkeypatch.setattr(outreach.send.decide, "approved_bytes", read_then_reject)
    report = run(batch, conf)
    handler = server.handler
    arrived = Counter(d.message_id for d in [*handler.deliveries, *handler.dropped])
    assert set(arrived.values()) <= {1}
    final = {entry.message_id: entry.state for entry in states(conf, batch).values()}
    assert "sending" not in final.values()
    for line in report.lines:
        settled = (
            (line.result,) if line.result in ("sent", "unknown") else (line.result, "rejected")
        )
        assert final[line.message_id] in settled, line
    assert set(arrived) == {x.message_id for x in report.lines if x.result in ("sent", "unknown")}
    assert all(final[message_id] in ("sent", "unknown") for message_id in arrived)
    assert rejected and not rejected & set(arrived)


def test_rate_is_held_within_5_percent_under_an_injected_clock(
    tmp_path: Path, server: Server, db: Path
) -> None:
    conf = server.settings(db, rate=120)  # one every 0.5 s
    batch = make_batch(tmp_path, conf, 41)
    approve_all(conf, batch)
    time = FakeTime()
    starts: list[float] = []

    from outreach.send.run import Runtime, send_batch
    from outreach.send.smtp import connect

    def timed_connect():  # type: ignore[no-untyped-def]
        connection = connect(conf)
        deliver = connection.deliver

        def timed(*args):  # type: ignore[no-untyped-def]
            starts.append(time.clock())
            time.sleep(0.2)  # each send takes a while on the virtual clock
            return deliver(*args)

        connection.deliver = timed  # type: ignore[method-assign]
        return connection

    runtime = Runtime(connect=timed_connect, now=time.now, clock=time.clock, sleep=time.sleep)
    report = send_batch(batch, conf, runtime)
    assert report.count("sent") == 41
    per_minute = (len(starts) - 1) / (starts[-1] - starts[0]) * 60
    assert abs(per_minute - 120) <= 120 * 0.05
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.5 * 0.95
    # --rate overrides the setting; 0 means no limit.
    assert run(batch, conf, rate=0).lines == []


def test_at_a_slow_rate_an_idle_connection_is_checked_before_reuse(
    tmp_path: Path, server: Server, db: Path
) -> None:
    conf = server.settings(db, rate=2)  # 30 s apart: servers may close the connection meanwhile
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    assert run(batch, conf).count("sent") == 3
    assert server.handler.connections == 1  # NOOP answered: the connection was reused
    server.handler.script.idle_closed = True
    batch = make_batch(tmp_path, conf, 3, name="b2")
    approve_all(conf, batch)
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["sent"] * 3  # nothing deferred
    assert server.handler.connections == 4


def test_max_and_the_daily_limit(tmp_path: Path, server: Server, db: Path) -> None:
    conf = server.settings(db, daily_limit=3)
    batch = make_batch(tmp_path, conf, 5)
    approve_all(conf, batch)
    time = FakeTime()
    report = run(batch, conf, time, max_messages=2)
    assert report.count("sent") == 2 and not report.stopped
    report = run(batch, conf, time)
    assert report.count("sent") == 1 and report.stopped.startswith("daily limit of 3")
    time.advance(timedelta(hours=23))
    assert run(batch, conf, time).count("sent") == 0
    time.advance(timedelta(hours=1, seconds=1))  # the first sends are now 24 h old
    assert run(batch, conf, time).count("sent") == 2
    assert len(server.handler.deliveries) == 5


def test_outside_the_window_nothing_goes(tmp_path: Path, server: Server, db: Path) -> None:
    conf = server.settings(db, send_window="Mon-Fri 09:00-17:00 Europe/Berlin")
    batch = make_batch(tmp_path, conf, 2)
    approve_all(conf, batch)
    time = FakeTime()
    time.advance(timedelta(hours=7))  # Monday 17:00 UTC = 18:00 in Berlin
    report = run(batch, conf, time)
    assert report.lines == [] and "opens Tue 2030-03-05 09:00" in report.stopped
    time.advance(timedelta(hours=14, minutes=30))  # Tuesday 08:30 Berlin... still closed
    assert run(batch, conf, time).lines == []
    time.advance(timedelta(minutes=30))
    assert run(batch, conf, time).count("sent") == 2


def test_suppressed_addresses_are_skipped_at_send_time_even_when_approved(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    with Ledger(conf.db) as ledger:
        suppress(ledger, ["PERSON2@Example.org"])
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["sent", "suppressed", "sent"]
    assert states(conf, batch)[3].state == "suppressed"
    assert "person2@example.org" not in {d.rcpt_tos[0] for d in server.handler.deliveries}


def test_a_draft_edited_after_approval_waits_for_a_new_approval(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 2)
    approve_all(conf, batch)
    path = batch.path(batch.entries[0])
    path.write_bytes(path.read_bytes().replace(b"Verein Nummer 1", b"Verein Nummer Eins"))
    status = batch_status(batch, conf.db)
    assert [item.state for item in status.attention] == ["changed"]
    report = run(batch, conf)
    assert [line.result for line in report.lines] == ["drafted", "sent"]
    assert "changed after approval" in states(conf, batch)[2].reply
    assert run(batch, conf).lines == []
    with Ledger(conf.db) as ledger:
        approve(ledger, batch, Selection(rows=(2,)).pick(batch))
    assert run(batch, conf).count("sent") == 1
    assert server.handler.deliveries[-1].content == as_sent(conf, batch, batch.entries[0])


def test_a_draft_approved_on_day_one_and_sent_on_day_three_carries_day_three(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    import email
    from email.utils import parsedate_to_datetime

    batch = make_batch(tmp_path, conf, 1)
    drafted_date = email.message_from_bytes(batch.path(batch.entries[0]).read_bytes())["Date"]
    approve_all(conf, batch)
    later = FakeTime(START + timedelta(days=2, hours=3, seconds=7.5))
    assert run(batch, conf, later).count("sent") == 1
    (delivery,) = server.handler.deliveries
    sent_date = email.message_from_bytes(delivery.content)["Date"]
    assert parsedate_to_datetime(sent_date) == later.now().replace(microsecond=0)
    assert sent_date != drafted_date
    assert states(conf, batch)[2].date == sent_date  # the ledger records it
    # The draft itself keeps the date it was drafted with.
    assert (
        email.message_from_bytes(batch.path(batch.entries[0]).read_bytes())["Date"] == drafted_date
    )


@pytest.mark.parametrize(
    ("edit", "sent"),
    [
        (lambda raw: re.sub(rb"Date: [^\r]*", b"Date: Mon, 01 Jan 2001 00:00:00 +0000", raw), True),
        (lambda raw: raw.replace(b"Date: ", b"date: "), True),  # header names ignore case
        (lambda raw: raw.replace(b"Subject: ", b"Subject:  "), False),
        (lambda raw: raw.replace(b"MIME-Version: 1.0", b"MIME-Version: 1.1"), False),
        (lambda raw: raw + b" ", False),
    ],
)
def test_only_the_date_may_change_after_approval(
    tmp_path: Path, conf: Settings, server: Server, edit: Any, sent: bool
) -> None:
    batch = make_batch(tmp_path, conf, 1)
    approve_all(conf, batch)
    path = batch.path(batch.entries[0])
    path.write_bytes(edit(path.read_bytes()))
    report = run(batch, conf)
    assert [line.result for line in report.lines] == (["sent"] if sent else ["drafted"])


def test_an_approval_recorded_before_dates_were_set_at_sending_still_holds(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    import hashlib
    import sqlite3
    from contextlib import closing

    batch = make_batch(tmp_path, conf, 1)
    approve_all(conf, batch)
    whole = hashlib.sha256(batch.path(batch.entries[0]).read_bytes()).hexdigest()
    with closing(sqlite3.connect(conf.db)) as db, db:
        db.execute("UPDATE messages SET sha256 = ?", (whole,))  # as the earlier version pinned
    assert run(batch, conf).count("sent") == 1


def test_reject_and_what_approval_leaves_alone(
    tmp_path: Path, conf: Settings, server: Server
) -> None:
    batch = make_batch(tmp_path, conf, 3)
    approve_all(conf, batch)
    with Ledger(conf.db) as ledger:
        assert reject(ledger, batch, Selection(emails=("PERSON1@example.org",)).pick(batch)).changed
    assert run(batch, conf).count("sent") == 2
    with Ledger(conf.db) as ledger:
        report = approve(ledger, batch, Selection(all=True).pick(batch))
        with pytest.raises(InputError, match=r"not in batch 'b1': 9, x@example\.org"):
            Selection(rows=(9,), emails=("x@example.org",)).pick(batch)
    assert report.changed == 1 and report.unchanged == {"sent": [3, 4]}


def test_implicit_tls_works(tmp_path: Path, certs: Certificates, db: Path) -> None:
    for server in serve("ssl", certs):
        conf = server.settings(db)
        batch = make_batch(tmp_path, conf, 1)
        approve_all(conf, batch)
        assert run(batch, conf).count("sent") == 1
        assert server.handler.deliveries[0].login == USER.encode()


def test_an_untrusted_certificate_is_refused(tmp_path: Path, server: Server, db: Path) -> None:
    other = Certificates.make(tmp_path)  # a CA the server's certificate does not come from
    conf = server.settings(db, smtp_cafile=other.cafile)
    batch = make_batch(tmp_path, conf, 1)
    approve_all(conf, batch)
    with pytest.raises(SmtpConfigError, match=r"certificate of 127\.0\.0\.1:\d+ is not trusted"):
        run(batch, conf)
    assert server.handler.deliveries == []
    assert states(conf, batch)[2].state == "approved"


def test_starttls_not_offered_stops_the_run(tmp_path: Path, db: Path) -> None:
    for server in serve("plain", None):
        conf = server.settings(db, smtp_security="starttls")
        batch = make_batch(tmp_path, conf, 1)
        approve_all(conf, batch)
        with pytest.raises(SmtpConfigError, match="does not offer STARTTLS"):
            run(batch, conf)
        assert server.handler.deliveries == []
