"""The ledger file, the schedule rules and the suppression list, without a server."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outreach.batch.reader import Batch, ManifestEntry
from outreach.errors import InputError, LedgerError, SettingsError
from outreach.send import ledger as ledger_module
from outreach.send.ledger import SCHEMA_VERSION, Ledger, backoff
from outreach.send.schedule import RateLimiter, daily_allowance, parse_window
from outreach.send.suppression import Suppressions, load_suppressions, normalise
from outreach.states import State


def batch_of(name: str, *entries: ManifestEntry) -> Batch:
    return Batch(name, Path(name), entries)


DRAFTS = batch_of(
    "b1",
    *(
        ManifestEntry(i + 1, f"p{i}@example.org", f"<{i}.b1@example.org>", f"drafts/{i}.eml", False)
        for i in range(3)
    ),
)


def test_entering_a_batch_twice_changes_nothing(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.enter(DRAFTS) == 3
        ledger.move(
            DRAFTS.entries[0].message_id, "approved", allowed_from=("drafted",), sha256="ab"
        )
        assert ledger.enter(DRAFTS) == 0
        entry = ledger.get(DRAFTS.entries[0].message_id)
        assert entry is not None and (entry.state, entry.sha256) == ("approved", "ab")
        assert [state for _, state, _ in ledger.history(DRAFTS.entries[0].message_id)] == [
            "drafted",
            "approved",
        ]


def test_the_file_is_durable_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    with Ledger(path) as ledger:
        ledger.enter(DRAFTS)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_an_old_schema_is_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    db = sqlite3.connect(path)
    db.executescript(ledger_module._MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.close()
    with Ledger(path) as ledger:  # version 1 had no suppression table
        assert ledger.suppression_entries() == []
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LedgerError, match="upgrade outreach"):
        Ledger(path)


def test_not_a_ledger_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    path.write_text("not sqlite", "utf-8")
    with pytest.raises(LedgerError, match="is damaged"):
        Ledger(path)


def test_a_move_happens_only_from_the_allowed_states(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.enter(DRAFTS)
        message_id = DRAFTS.entries[1].message_id
        assert not ledger.move(message_id, "sending", allowed_from=("approved",))
        assert ledger.move(message_id, "approved", allowed_from=("drafted",))
        assert ledger.move(message_id, "sending", allowed_from=("approved",))
        assert ledger.recover_interrupted() == [message_id]
        entry = ledger.get(message_id)
        assert entry is not None and entry.state == "unknown"


def test_daily_count_uses_a_rolling_window(tmp_path: Path) -> None:
    now = datetime(2030, 1, 1, 12, tzinfo=UTC)
    with Ledger(tmp_path / "l.db", now=lambda: now) as ledger:
        ledger.enter(DRAFTS)
        for draft in DRAFTS.entries[:2]:
            ledger.move(draft.message_id, "sending", allowed_from=("drafted",))
            ledger.move(draft.message_id, "sent", allowed_from=("sending",))
        assert ledger.delivered_since(now - timedelta(hours=24)) == 2
        assert ledger.delivered_since(now) == 0


def test_backoff_doubles_up_to_twelve_hours() -> None:
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(20) == timedelta(hours=12)


def test_rate_limiter_spaces_starts_exactly() -> None:
    now = [0.0]
    limiter = RateLimiter(7, lambda: now[0], lambda s: now.__setitem__(0, now[0] + s))
    starts = []
    for _ in range(8):
        limiter.wait()
        starts.append(now[0])
        now[0] += 0.3  # the send itself
    assert starts[-1] == pytest.approx(7 * 60 / 7)  # 8.571… s apart, not rounded to seconds
    assert RateLimiter(0, lambda: 0.0, lambda s: None).interval == 0


def test_daily_allowance() -> None:
    assert daily_allowance(0, 5000) is None
    assert (daily_allowance(10, 4), daily_allowance(10, 12)) == (6, 0)


def test_send_window() -> None:
    window = parse_window("Mon-Fri 09:00-17:00 Europe/Berlin")
    assert window is not None
    summer_monday = datetime(2030, 7, 1, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert window.contains(summer_monday)
    assert not window.contains(summer_monday - timedelta(seconds=1))
    assert not window.contains(summer_monday + timedelta(hours=8))  # 17:00 is closed
    assert not window.contains(summer_monday + timedelta(days=5))  # Saturday
    friday_evening = datetime(2030, 7, 5, 18, tzinfo=UTC)
    assert window.next_opening(friday_evening).isoformat() == "2030-07-08T09:00:00+02:00"
    weekend = parse_window("sat,Sun 10:00-12:00 UTC")
    assert weekend is not None and weekend.days == {5, 6}
    wrap = parse_window("Fri-Mon 08:00-20:00 UTC")
    assert wrap is not None and wrap.days == {4, 5, 6, 0}
    assert parse_window("  ") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mon-Fri 9-17", "expected e.g."),
        ("Mon-Fri 17:00-09:00 UTC", "the end must be later"),
        ("Mon-Fry 09:00-17:00", "is not a day"),
        ("09:00-17:00 Mars/Olympus", "unknown time zone"),
        ("09:00-25:00", "is not a time range"),
    ],
)
def test_bad_send_window_is_a_settings_error(text: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=f"^OUTREACH_SEND_WINDOW '.*': .*{reason}"):
        parse_window(text)


def test_suppression_matching() -> None:
    listed = Suppressions.of(
        normalise(e) for e in ["Ann@Example.org", "@spam.example", "@bücher.example"]
    )
    assert listed.matches("ann@example.org") and listed.matches("ANN@EXAMPLE.ORG")
    assert not listed.matches("anna@example.org")
    assert listed.matches("x@spam.example") and listed.matches("x@mail.spam.example")
    assert not listed.matches("x@notspam.example")
    assert listed.matches("x@xn--bcher-kva.example")  # the same domain, IDNA-encoded
    assert normalise("<mailto:Ann@Example.org?subject=unsubscribe>") == "ann@example.org"
    with pytest.raises(InputError):
        normalise("example.org")


def test_loading_suppressions_without_a_ledger_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "outreach.db"
    assert len(load_suppressions(path)) == 0 and not path.exists()
    with Ledger(path) as ledger:
        ledger.add_suppressions(["@example.net"], "test")
    assert load_suppressions(path).matches("someone@example.net")


def test_atomic_groups_changes_and_rolls_back_together(tmp_path: Path) -> None:
    drafts = batch_of(
        "b",
        *(ManifestEntry(i, f"a{i}@example.org", f"<{i}@x>", f"d{i}.eml", False) for i in (1, 2)),
    )
    with Ledger(tmp_path / "o.db") as ledger:
        ledger.enter(drafts)
        with ledger.atomic():
            assert ledger.move("<1@x>", State.APPROVED, allowed_from=(State.DRAFTED,))
            assert ledger.move("<2@x>", State.APPROVED, allowed_from=(State.DRAFTED,))
        with pytest.raises(RuntimeError), ledger.atomic():
            ledger.move("<1@x>", State.DRAFTED, allowed_from=(State.APPROVED,))
            raise RuntimeError("stop halfway")
        states = [entry.state for entry in ledger.entries(["<1@x>", "<2@x>"]).values()]
    assert states == [State.APPROVED, State.APPROVED]
