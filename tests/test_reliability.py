"""The edges a cron run meets: lost ledgers, odd addresses and drafts, full disks, faults."""

import hashlib
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from conftest import TEST_ENV, Ran, run_cli
from mailserver import Certificates
from outreach.batch.reader import Batch
from outreach.errors import LedgerError, LockedError, SettingsError
from outreach.send.lock import run_lock
from outreach.settings import load_settings
from sendkit import Server, make_batch, serve


def drafted(tmp_path: Path, server: Server, count: int, db: str = "outreach.db") -> Batch:
    return make_batch(tmp_path, server.settings(tmp_path / db), count)


def cli(tmp_path: Path, server: Server, *args: str, db: str = "outreach.db") -> Ran:
    return run_cli(*args, cwd=tmp_path, env=server.env(tmp_path / db))


def checkpointed(db: Path) -> Path:
    """The ledger with its WAL folded in, so the file alone holds everything."""
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def one_line(result: Ran, code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def set_digest(db: Path, batch: Batch, row: int) -> None:
    """Approve a draft as it is now behind approve's back (its checks skipped)."""
    from outreach.batch.date_header import approval_digest

    entry = next(entry for entry in batch.entries if entry.row == row)
    digest = approval_digest(batch.path(entry).read_bytes())
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute(
            "UPDATE messages SET state = 'approved', sha256 = ?, recipient = ? WHERE row = ?",
            (digest, "jörg@example.org", row),
        )


# 1. A lost ledger is never a fresh start.


def test_send_with_the_ledger_gone_stops_and_creates_none(tmp_path: Path, server: Server) -> None:
    batch = drafted(tmp_path, server, 3)
    assert cli(tmp_path, server, "approve", str(batch.folder), "--all").returncode == 0
    (tmp_path / "outreach.db").unlink()
    for command in (("send", str(batch.folder), "--quiet"), ("status", str(batch.folder))):
        error = one_line(cli(tmp_path, server, *command), 2)
        assert f"no ledger at {tmp_path / 'outreach.db'}" in error
        assert f"was approved with the ledger {tmp_path / 'outreach.db'}" in error
    error = one_line(cli(tmp_path, server, "approve", str(batch.folder), "--all"), 2)
    assert "no ledger at" in error
    assert not (tmp_path / "outreach.db").exists() and server.handler.deliveries == []


def test_another_ledger_is_refused_naming_both(tmp_path: Path, server: Server) -> None:
    batch = drafted(tmp_path, server, 2)
    assert cli(tmp_path, server, "approve", str(batch.folder), "--all").returncode == 0
    other = make_batch(tmp_path, server.settings(tmp_path / "other.db"), 1, name="other")
    assert (
        cli(tmp_path, server, "approve", str(other.folder), "--all", db="other.db").returncode == 0
    )
    for command in ("send", "status", "approve"):
        args = (command, str(batch.folder), *(("--all",) if command == "approve" else ()))
        error = one_line(cli(tmp_path, server, *args, db="other.db"), 2)
        assert str(tmp_path / "outreach.db") in error and str(tmp_path / "other.db") in error
    assert server.handler.deliveries == []


def test_the_journal_keeps_a_replaced_ledger_from_sending_anything_twice(
    tmp_path: Path, server: Server
) -> None:
    batch = drafted(tmp_path, server, 3)
    cli(tmp_path, server, "approve", str(batch.folder), "--rows", "2,3")
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 0
    assert len(server.handler.deliveries) == 2
    # The worst case: the ledger and the batch's note of it are both gone; a person approves
    # everything again with a fresh ledger.
    (tmp_path / "outreach.db").unlink()
    (batch.folder / "ledger.json").unlink()
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    status = cli(tmp_path, server, "status", str(batch.folder))
    assert status.stdout.count("journal: row") == 2, status.stdout
    result = cli(tmp_path, server, "send", str(batch.folder))
    assert result.returncode == 1  # a person should look at the two the journal knows
    assert [d.rcpt_tos for d in server.handler.deliveries][2:] == [["person3@example.org"]]
    assert set(server.handler.count_by_message_id().values()) == {1}
    status = cli(tmp_path, server, "status", str(batch.folder)).stdout
    assert "1 sent, 2 unknown" in status and "journal says it went" in status


def test_a_resend_asked_for_by_a_person_goes_once_more(tmp_path: Path, server: Server) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    server.handler.script.drop_after_dot.add("person1@example.org")
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 1
    (message_id,) = batch.message_ids()
    moved = batch.folder.parent / "moved"
    batch.folder.rename(moved)
    error = one_line(cli(tmp_path, server, "resolve", message_id, "--resend"), 2)
    assert "--batch DIR" in error
    result = cli(tmp_path, server, "resolve", message_id, "--resend", "--batch", str(moved))
    assert result.returncode == 0, result.stderr
    assert cli(tmp_path, server, "send", str(moved)).returncode == 0
    assert server.handler.count_by_message_id()[message_id] == 1  # and once dropped before
    assert [d.message_id for d in server.handler.dropped] == [message_id]


def test_the_opt_out_list_can_be_exported_and_imported(tmp_path: Path, server: Server) -> None:
    cli(tmp_path, server, "suppress", "add", "a@example.org", "@example.net")
    result = cli(tmp_path, server, "suppress", "export", "backup.txt")
    assert (result.returncode, result.stdout) == (0, "Wrote 2 entries to backup.txt.\n")
    result = cli(tmp_path, server, "suppress", "import", "backup.txt", db="fresh.db")
    assert "Added 2 new of 2" in result.stdout
    listed = cli(tmp_path, server, "suppress", "list", db="fresh.db").stdout
    assert [line.split("\t")[0] for line in listed.splitlines()] == [
        "@example.net",
        "a@example.org",
    ]


# 2. Addresses beyond ASCII.


def edit_to(batch: Batch, row: int, address: str) -> None:
    entry = next(entry for entry in batch.entries if entry.row == row)
    path = batch.path(entry)
    head, _, body = path.read_bytes().partition(b"\r\n\r\n")
    lines = [
        b"To: " + address.encode() if line.startswith(b"To: ") else line
        for line in head.split(b"\r\n")
    ]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n\r\n" + body)


def test_a_unicode_domain_goes_in_its_ascii_form(tmp_path: Path, server: Server) -> None:
    batch = drafted(tmp_path, server, 1)
    edit_to(batch, 2, "info@müller.example")
    assert cli(tmp_path, server, "approve", str(batch.folder), "--all").returncode == 0
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 0
    assert [d.rcpt_tos for d in server.handler.deliveries] == [["info@xn--mller-kva.example"]]


def test_approve_refuses_one_bad_draft_and_approves_the_others(
    tmp_path: Path, server: Server
) -> None:
    batch = drafted(tmp_path, server, 3)
    edit_to(batch, 3, "jörg@example.org")
    result = cli(tmp_path, server, "approve", str(batch.folder), "--all")
    assert result.returncode == 1
    assert result.stdout.startswith("Approved 2 draft(s) in batch b1; refused 1.")
    assert "Refused row 3: draft" in result.stderr and "not one plain address" in result.stderr
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 0
    assert len(server.handler.deliveries) == 2


@pytest.mark.parametrize("smtputf8", [False, True], ids=["no-smtputf8", "smtputf8"])
def test_a_non_ascii_local_part_that_reaches_send_fails_alone_or_goes_with_smtputf8(
    tmp_path: Path, certs: Certificates, smtputf8: bool
) -> None:
    for server in serve("starttls", certs, smtputf8=smtputf8):
        batch = drafted(tmp_path, server, 2)
        edit_to(batch, 2, "jörg@example.org")
        cli(tmp_path, server, "approve", str(batch.folder), "--rows", "3")
        set_digest(tmp_path / "outreach.db", batch, 2)
        result = cli(tmp_path, server, "send", str(batch.folder))
        assert "Traceback" not in result.stderr
        recipients = [d.rcpt_tos for d in server.handler.deliveries]
        if smtputf8:
            assert result.returncode == 0 and recipients == [
                ["jörg@example.org"],
                ["person2@example.org"],
            ]
            assert "SMTPUTF8" in server.handler.deliveries[0].mail_options
        else:
            assert result.returncode == 1 and recipients == [["person2@example.org"]]
            assert "needs SMTPUTF8, which the server does not offer" in result.stderr
            assert "failed row 2" in result.stderr


# 3. One line and the documented exit code.


def test_a_lock_that_cannot_be_taken_is_one_line(tmp_path: Path, server: Server) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    (tmp_path / "outreach.db.lock").mkdir()  # where the lock file would be
    error = one_line(cli(tmp_path, server, "send", str(batch.folder)), 2)
    assert "cannot take the send lock" in error


def test_a_read_only_ledger_is_one_line(tmp_path: Path, server: Server) -> None:
    import subprocess

    batch = drafted(tmp_path, server, 2)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    db = checkpointed(tmp_path / "outreach.db")
    for leftover in tmp_path.glob("outreach.db-*"):
        leftover.unlink()
    # Permissions do not stop root (CI runs as root); the immutable flag does.
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not possible here")
    try:
        for command in ("send", "approve"):
            args = (command, str(batch.folder), *(("--all",) if command == "approve" else ()))
            error = one_line(cli(tmp_path, server, *args), 2)
            assert "readonly" in error or "read-only" in error, error
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    assert server.handler.deliveries == []


def test_a_damaged_ledger_says_so_and_how_to_recover(tmp_path: Path, server: Server) -> None:
    batch = drafted(tmp_path, server, 40)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    db = checkpointed(tmp_path / "outreach.db")
    data = bytearray(db.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # every page but the header's
        data[start : start + 64] = b"\xff" * 64
    db.write_bytes(bytes(data))
    for command in ("status", "send"):
        error = one_line(cli(tmp_path, server, command, str(batch.folder)), 2)
        assert "is damaged" in error and ".recover" in error
    assert server.handler.deliveries == []


def test_a_full_disk_in_the_middle_of_a_run_is_one_line(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outreach.send.ledger import Ledger

    batch = drafted(tmp_path, server, 3)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    move = Ledger.move

    def full_at_the_second_claim(self: Ledger, message_id: str, to: str, **kw):  # type: ignore[no-untyped-def]
        if to == "sending" and message_id == batch.entries[1].message_id:
            raise sqlite3.OperationalError("database or disk is full")
        return move(self, message_id, to, **kw)

    monkeypatch.setattr(Ledger, "move", full_at_the_second_claim)
    error = one_line(cli(tmp_path, server, "send", str(batch.folder), "--quiet"), 2)
    assert "disk is full" in error
    monkeypatch.undo()
    assert len(server.handler.deliveries) == 1
    assert "2 approved, 1 sent" in cli(tmp_path, server, "status", str(batch.folder)).stdout


def test_a_timeout_of_zero_is_refused_when_settings_are_read() -> None:
    with pytest.raises(SettingsError, match="OUTREACH_SMTP_TIMEOUT: must be a number of seconds"):
        load_settings(environ={**TEST_ENV, "OUTREACH_SMTP_TIMEOUT": "0"})


def test_utf16_broken_far_into_the_file_is_one_line(tmp_path: Path) -> None:
    rows = "".join(f"Verein {i},info{i}@example.org\n" for i in range(4000))
    data = ("organisation,email\n" + rows).encode("utf-16")
    path = tmp_path / "c.csv"
    path.write_bytes(data[:-40] + b"\x00\xd8" + data[-40:])  # a lone high surrogate near the end
    error = one_line(run_cli("draft", str(path), "--out", "out", cwd=tmp_path), 2)
    assert "not valid UTF-16" in error


# 4. One lock per ledger file, whatever the path.


def test_the_lock_belongs_to_the_ledger_file_not_its_path(tmp_path: Path) -> None:
    db = tmp_path / "real" / "outreach.db"
    db.parent.mkdir()
    db.touch()
    (tmp_path / "link.db").symlink_to(db)
    (tmp_path / "dir").symlink_to(db.parent)
    with run_lock(db):
        for other in (tmp_path / "link.db", tmp_path / "dir" / "outreach.db"):
            with pytest.raises(LockedError), run_lock(other):
                pass


# 5. Drafts that are not regular files.


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "link to a file", "too large"])
def test_a_draft_that_is_not_a_plain_file_is_refused_for_that_message(
    tmp_path: Path, server: Server, kind: str
) -> None:
    batch = drafted(tmp_path, server, 2)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    path = batch.path(batch.entries[0])
    if kind == "too large":
        with path.open("ab") as handle:
            handle.truncate(10_000_001)
    else:
        copy = tmp_path / "copy.eml"
        copy.write_bytes(path.read_bytes())
        path.unlink()
        if kind == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to("/dev/zero" if kind == "link to /dev/zero" else copy)
    result = cli(tmp_path, server, "send", str(batch.folder))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert [d.rcpt_tos for d in server.handler.deliveries] == [["person2@example.org"]]
    reason = {"fifo": "not a regular file", "too large": "over 10 MB"}.get(kind, "it is a link")
    assert "drafted row 2 person1@example.org" in result.stderr and reason in result.stderr


# 6. Header lines within 998 bytes.


def test_an_absurd_name_is_a_row_error_and_long_ones_fold(tmp_path: Path) -> None:
    import email
    import random

    rng = random.Random(5)
    names = ["Käthe " * 33, "x" * 199, " ".join("Ü" * rng.randint(1, 30) for _ in range(12))]
    rows = [
        f'"{"A" * 10_000}",absurd@example.org',
        *(f'"{n[:200]}",n{i}@example.org' for i, n in enumerate(names)),
    ]
    path = tmp_path / "c.csv"
    path.write_text("contact_name,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("draft", str(path), "--out", "out", "--batch", "b", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    errors = (tmp_path / "out" / "b" / "errors.csv").read_text("utf-8-sig")
    assert "at most 200 fit an email header" in errors
    drafts = sorted((tmp_path / "out" / "b" / "drafts").glob("*.eml"))
    assert len(drafts) == 3
    for draft in drafts:
        raw = draft.read_bytes()
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
        assert not email.message_from_bytes(raw).defects


# 7. Approval reads the header as a mail server would.

ADDED_RECIPIENTS = {
    "a second To": b"To: other@example.net\r\n",
    "a To list": None,
    "a folded To": None,
    "Bcc": b"Bcc: other@example.net\r\n",
    "bcc": b"bcc: other@example.net\r\n",
    "Cc": b"Cc: other@example.net\r\n",
    "BCC with a space before the colon": b"Bcc : other@example.net\r\n",
    "Bcc with a tab before the colon": b"Bcc\t: other@example.net\r\n",
    "Resent-To": b"Resent-To: other@example.net\r\n",
    "Resent-Cc": b"Resent-Cc: other@example.net\r\n",
    "Resent-Bcc": b"Resent-Bcc: other@example.net\r\n",
    "a lone-CR Bcc": b"X-Note: hi\rBcc: other@example.net\r\n",
    "a lone-LF Bcc": b"X-Note: hi\nBcc: other@example.net\r\n",
    "a NUL": b"X-Note: a\x00b\r\n",
}


@pytest.mark.parametrize("variant", sorted(ADDED_RECIPIENTS))
def test_every_way_of_adding_a_recipient_is_refused_at_approval(
    tmp_path: Path, server: Server, variant: str
) -> None:
    batch = drafted(tmp_path, server, 1)
    path = batch.path(batch.entries[0])
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    if variant == "a To list":
        head = head.replace(b"To: ", b"To: other@example.net, ", 1)
    elif variant == "a folded To":
        to = next(line for line in head.split(b"\r\n") if line.startswith(b"To: "))
        head = head.replace(to, to + b",\r\n other@example.net", 1)
    else:
        head = head + b"\r\n" + ADDED_RECIPIENTS[variant].rstrip(b"\r\n")
    path.write_bytes(head + b"\r\n\r\n" + body)
    result = cli(tmp_path, server, "approve", str(batch.folder), "--all")
    assert result.returncode == 1 and "refused 1" in result.stdout, (result.stdout, result.stderr)
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 0
    assert server.handler.deliveries == []


# 8. 552 to MAIL FROM: the message is too large; it fails alone, with or without PIPELINING.


def test_552_to_mail_from_fails_that_message_and_the_run_goes_on(
    tmp_path: Path, server: Server
) -> None:
    batch = drafted(tmp_path, server, 2)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    server.handler.script.mail = ["552 5.3.4 message too big for this system"]
    result = cli(tmp_path, server, "send", str(batch.folder))
    assert result.returncode == 1  # a failed message: a person should look
    assert "failed row 2" in result.stderr and "552 5.3.4" in result.stderr
    assert [d.rcpt_tos for d in server.handler.deliveries] == [["person2@example.org"]]


# 9. is covered above: test_approve_refuses_one_bad_draft_and_approves_the_others.


def test_send_never_creates_a_ledger_even_in_a_dry_run(tmp_path: Path, server: Server) -> None:
    batch = drafted(tmp_path, server, 1)
    result = cli(tmp_path, server, "send", str(batch.folder), "--dry-run")
    assert result.returncode == 0 and "0 would be sent" in result.stdout
    assert "no ledger at" in one_line(cli(tmp_path, server, "send", str(batch.folder)), 2)
    assert not list(tmp_path.glob("outreach.db*"))


def test_ledger_error_is_exit_2() -> None:
    assert LedgerError.exit_code == 2


# What a review of the change found.


def test_a_journal_that_cannot_be_written_stops_the_run_before_any_claim(
    tmp_path: Path, server: Server
) -> None:
    batch = drafted(tmp_path, server, 2)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    (batch.folder / "journal.txt").symlink_to(tmp_path / "no" / "such" / "folder")
    for _ in range(2):
        error = one_line(cli(tmp_path, server, "send", str(batch.folder)), 2)
        assert "cannot write the journal" in error
    status = cli(tmp_path, server, "status", str(batch.folder)).stdout
    assert status == "Batch b1: 2 approved\n" and server.handler.deliveries == []


def test_a_draft_renamed_by_drafting_again_is_sent_once_approved_again(
    tmp_path: Path, server: Server
) -> None:
    from outreach.ingest.contacts import read_contacts
    from outreach.pipeline import draft_batch

    settings = server.settings(tmp_path / "outreach.db")
    batch = drafted(tmp_path, server, 2)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    contacts = tmp_path / "b1.csv"
    contacts.write_text(contacts.read_text("utf-8").replace("Nummer 1", "Nummer Eins"), "utf-8")
    draft_batch(read_contacts(contacts), tmp_path / "out", "b1", settings)
    assert not (batch.folder / batch.entries[0].draft).exists()  # renamed
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 0
    assert len(server.handler.deliveries) == 2


@pytest.mark.parametrize(
    "address", ["a\u200b@example.org", "a\u00ad@example.org", "a\x01@example.org"]
)
def test_an_address_with_invisible_characters_is_refused(
    tmp_path: Path, server: Server, address: str
) -> None:
    batch = drafted(tmp_path, server, 1)
    edit_to(batch, 2, address)
    result = cli(tmp_path, server, "approve", str(batch.folder), "--all")
    assert result.returncode == 1 and "invisible or control characters" in result.stderr


def test_an_approval_from_before_these_checks_is_checked_at_sending(
    tmp_path: Path, server: Server
) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    path = batch.path(batch.entries[0])
    head, _, body = path.read_bytes().partition(b"\r\n\r\n")
    path.write_bytes(head + b"\r\nResent-Bcc: other@example.net\r\n\r\n" + body)
    whole = hashlib.sha256(path.read_bytes()).hexdigest()  # as an older version pinned it
    with closing(sqlite3.connect(tmp_path / "outreach.db")) as connection, connection:
        connection.execute("UPDATE messages SET sha256 = ?", (whole,))
    result = cli(tmp_path, server, "send", str(batch.folder))
    assert "Resent-Bcc header" in result.stderr and server.handler.deliveries == []


def test_a_date_header_with_space_before_its_colon_is_replaced_not_doubled(
    tmp_path: Path, server: Server
) -> None:
    import email

    batch = drafted(tmp_path, server, 1)
    path = batch.path(batch.entries[0])
    path.write_bytes(path.read_bytes().replace(b"Date: ", b"Date : ", 1))
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 0
    (delivery,) = server.handler.deliveries
    assert len(email.message_from_bytes(delivery.content).get_all("Date")) == 1


def accepted_then_left_in(state: str, tmp_path: Path, server: Server) -> tuple[Batch, str]:
    """One approved message that the journal saw accepted, left in `state` in the ledger."""
    from datetime import UTC, datetime

    from outreach.batch.journal import Journal
    from outreach.states import State

    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    (message_id,) = batch.message_ids()
    with closing(sqlite3.connect(tmp_path / "outreach.db")) as connection, connection:
        connection.execute("UPDATE messages SET state = ?", (state,))
    with Journal(batch.folder) as journal:
        journal.went(message_id, datetime.now(UTC))
        journal.ended(message_id, State.SENT, datetime.now(UTC))
    return batch, message_id


def test_a_killed_run_whose_journal_saw_the_250_records_sent(
    tmp_path: Path, server: Server
) -> None:
    batch, _ = accepted_then_left_in("sending", tmp_path, server)  # killed after the 250
    assert cli(tmp_path, server, "send", str(batch.folder)).returncode == 0
    assert "1 sent" in cli(tmp_path, server, "status", str(batch.folder)).stdout
    assert server.handler.deliveries == []


def test_resend_is_refused_when_the_journal_says_the_server_accepted_it(
    tmp_path: Path, server: Server
) -> None:
    _, message_id = accepted_then_left_in("unknown", tmp_path, server)
    error = one_line(cli(tmp_path, server, "resolve", message_id, "--resend"), 2)
    assert "use --sent" in error


def test_approving_a_failed_message_again_restarts_its_count_of_tries(
    tmp_path: Path, server: Server
) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    with closing(sqlite3.connect(tmp_path / "outreach.db")) as connection, connection:
        connection.execute("UPDATE messages SET state = 'failed', attempts = 10")
    cli(tmp_path, server, "approve", str(batch.folder), "--all")
    server.handler.script.rcpt["person1@example.org"] = ["451 4.3.0 try again later"]
    cli(tmp_path, server, "send", str(batch.folder))
    status = cli(tmp_path, server, "status", str(batch.folder)).stdout
    assert "1 deferred" in status  # not failed at once for its old tries
