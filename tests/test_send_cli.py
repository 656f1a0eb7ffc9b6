"""The sending commands as cron and users run them: exit codes, output, kills and overlaps."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Ran, run_cli
from mailserver import PASSWORD, Certificates
from outreach.batch.reader import Batch, read_batch
from outreach.send.ledger import Ledger
from outreach.send.lock import run_lock
from sendkit import Server, make_batch, serve


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.make(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def server(certs: Certificates) -> Iterator[Server]:
    yield from serve("starttls", certs)


@pytest.fixture
def env(server: Server, tmp_path: Path) -> dict[str, str]:
    return server.env(tmp_path / "outreach.db")


def drafted(tmp_path: Path, server: Server, count: int) -> Batch:
    return make_batch(tmp_path, server.settings(tmp_path / "outreach.db"), count)


def cli(tmp_path: Path, env: dict[str, str], *args: str) -> Ran:
    return run_cli(*args, cwd=tmp_path, env=env)


def test_review_approve_send_status(tmp_path: Path, server: Server, env: dict[str, str]) -> None:
    batch = drafted(tmp_path, server, 3)
    folder = str(batch.folder)
    result = cli(tmp_path, env, "send", folder)
    assert result.returncode == 2 and "`outreach approve` makes the first one" in result.stderr
    assert server.handler.deliveries == [] and not (tmp_path / "outreach.db").exists()

    result = cli(
        tmp_path, env, "approve", folder, "--rows", "2,3", "--email", "person3@example.org"
    )
    assert (result.returncode, result.stdout) == (0, "Approved 3 draft(s) in batch b1.\n")
    server.handler.script.rcpt["person2@example.org"] = ["550 5.1.1 no such user"]
    result = cli(tmp_path, env, "send", folder)
    assert result.returncode == 1  # a person has to look at the failed one
    lines = result.stderr.splitlines()
    assert lines[0].startswith("20") and " INFO sent row 2 person1@example.org <" in lines[0]
    assert " WARNING failed row 3 person2@example.org " in lines[1]
    assert " INFO sent row 4 person3@example.org <" in lines[2]
    assert " WARNING run b1: 2 sent, 1 failed; 0 due left" in lines[3]
    assert len(lines) == 5 and "outreach status" in lines[4]

    result = cli(tmp_path, env, "status", folder)
    assert result.returncode == 0
    assert result.stdout.startswith("Batch b1: 2 sent, 1 failed\n")
    assert "  failed: row 3 person2@example.org <" in result.stdout
    assert "    550 5.1.1 no such user" in result.stdout
    assert "Next step for failed: " in result.stdout

    result = cli(tmp_path, env, "approve", folder, "--all")
    assert result.stdout.startswith("Approved 1 draft(s)")
    assert "Left alone, sent: row(s) 2, 4" in result.stdout


def test_usage_errors_are_one_line(tmp_path: Path, server: Server, env: dict[str, str]) -> None:
    batch = drafted(tmp_path, server, 1)
    result = cli(tmp_path, env, "approve", str(batch.folder))
    assert result.returncode == 2 and "give --all, or --rows and/or --email" in result.stderr
    result = cli(tmp_path, env, "approve", str(batch.folder), "--rows", "7")
    assert (result.returncode, result.stderr) == (2, "Error: not in batch 'b1': 7\n")
    result = cli(tmp_path, env, "send", str(tmp_path))
    assert result.returncode == 2 and "is not a batch folder" in result.stderr
    result = cli(
        tmp_path, {**env, "OUTREACH_SEND_WINDOW": "Mon-Fri 9-17"}, "send", str(batch.folder)
    )
    assert result.returncode == 2 and result.stderr.startswith("Error: OUTREACH_SEND_WINDOW")


def test_unknown_then_resolve(tmp_path: Path, server: Server, env: dict[str, str]) -> None:
    batch = drafted(tmp_path, server, 2)
    folder = str(batch.folder)
    cli(tmp_path, env, "approve", folder, "--all")
    server.handler.script.drop_after_dot.add("person1@example.org")
    result = cli(tmp_path, env, "send", folder, "--quiet")
    assert result.returncode == 1
    assert "INFO" not in result.stderr and "WARNING unknown row 2" in result.stderr
    status = cli(tmp_path, env, "status", folder).stdout
    assert "1 sent, 1 unknown" in status and "outreach resolve ID --sent" in status
    message_id = batch.entries[0].message_id
    result = cli(tmp_path, env, "resolve", message_id, "--resend")
    assert (result.returncode, result.stdout) == (0, f"{message_id} is now approved.\n")
    assert cli(tmp_path, env, "send", folder).returncode == 0
    assert sorted(server.handler.count_by_message_id().values()) == [1, 1]
    result = cli(tmp_path, env, "resolve", message_id, "--sent")
    assert result.returncode == 2 and "is sent, not unknown" in result.stderr


def test_dry_run_changes_nothing(tmp_path: Path, server: Server, env: dict[str, str]) -> None:
    batch = drafted(tmp_path, server, 3)
    folder = str(batch.folder)
    result = cli(tmp_path, env, "send", folder, "--dry-run")
    assert result.returncode == 0 and "0 would be sent" in result.stdout
    assert not (tmp_path / "outreach.db").exists()
    cli(tmp_path, env, "approve", folder, "--all")
    cli(tmp_path, env, "suppress", "add", "person3@example.org")
    before = {p.name: p.read_bytes() for p in tmp_path.glob("outreach.db*")}
    result = cli(tmp_path, env, "send", folder, "--dry-run", "--max", "1")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith("would send: row 2 person1@example.org")
    assert "1 would be sent, 3 due" in result.stdout
    result = cli(tmp_path, env, "send", folder, "--dry-run")
    assert "would skip: row 4 person3@example.org (on the suppression list)" in result.stdout
    assert {p.name: p.read_bytes() for p in tmp_path.glob("outreach.db*")} == before
    assert server.handler.deliveries == [] and server.handler.connections == 0


def test_suppress_commands(tmp_path: Path, env: dict[str, str]) -> None:
    listing = tmp_path / "optouts.csv"
    listing.write_text("name;email\nA;A@Example.org\nB;@Spam.example\nC;kaputt@\n", "utf-8")
    result = cli(tmp_path, env, "suppress", "import", str(listing))
    assert result.returncode == 0 and "Added 2 new of 3 found" in result.stdout
    assert "optouts.csv:4: 'kaputt@' is neither an address nor @domain" in result.stderr
    assert cli(tmp_path, env, "suppress", "add", "b@example.org", "a@example.org").stdout == (
        "Added 1 (of 2) to the suppression list.\n"
    )
    entries = [
        line.split("\t") for line in cli(tmp_path, env, "suppress", "list").stdout.splitlines()
    ]
    assert [e[0] for e in entries] == ["@spam.example", "a@example.org", "b@example.org"]
    assert entries[0][2] == "import optouts.csv"
    assert (
        cli(tmp_path, env, "suppress", "remove", "B@example.org").stdout
        == "Removed B@example.org.\n"
    )
    result = cli(tmp_path, env, "suppress", "add", "not an address")
    assert (result.returncode, result.stderr) == (
        2,
        "Error: 'not an address' is neither an address nor @domain\n",
    )


def test_a_second_run_steps_aside_while_the_lock_is_held(
    tmp_path: Path, server: Server, env: dict[str, str]
) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, env, "approve", str(batch.folder), "--all")
    with run_lock(tmp_path / "outreach.db"):
        result = cli(tmp_path, env, "send", str(batch.folder))
    assert result.returncode == 3
    assert result.stderr == (
        f"Error: another send run (pid {os.getpid()}) holds {tmp_path / 'outreach.db.lock'};"
        " this run steps aside\n"
    )
    assert server.handler.deliveries == []


def test_tls_problems_are_configuration_errors(
    tmp_path: Path, server: Server, env: dict[str, str]
) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, env, "approve", str(batch.folder), "--all")
    other = Certificates.make(tmp_path)
    result = cli(
        tmp_path, {**env, "OUTREACH_SMTP_CAFILE": str(other.cafile)}, "send", str(batch.folder)
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: the certificate of 127.0.0.1:")
    assert "certificate verify failed" in result.stderr or "unable to get" in result.stderr
    for plain in serve("plain", None):
        plain_env = plain.env(tmp_path / "outreach.db", OUTREACH_SMTP_SECURITY="starttls")
        result = cli(tmp_path, plain_env, "send", str(batch.folder))
        assert result.returncode == 2 and "does not offer STARTTLS" in result.stderr
        assert plain.handler.deliveries == []


def test_server_away_is_exit_4(tmp_path: Path, server: Server, env: dict[str, str]) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, env, "approve", str(batch.folder), "--all")
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli(tmp_path, {**env, "OUTREACH_SMTP_PORT": str(port)}, "send", str(batch.folder))
    assert result.returncode == 4
    assert f"stopped early: cannot connect to 127.0.0.1:{port}" in result.stderr


def test_the_password_never_appears(tmp_path: Path, server: Server, env: dict[str, str]) -> None:
    batch = drafted(tmp_path, server, 2)
    log = tmp_path / "send.log"
    outputs = [cli(tmp_path, env, "approve", str(batch.folder), "--all")]
    server.handler.script.rcpt["person1@example.org"] = ["550 5.1.1 no such user"]
    outputs.append(cli(tmp_path, env, "send", str(batch.folder), "--log-file", str(log)))
    outputs.append(cli(tmp_path, env, "approve", str(batch.folder), "--rows", "2"))
    wrong = {**env, "OUTREACH_SMTP_PASSWORD": PASSWORD + "-wrong"}
    outputs.append(cli(tmp_path, wrong, "send", str(batch.folder), "--log-file", str(log)))
    assert outputs[-1].returncode == 2
    assert "refused the login of anna@example.org: 535" in outputs[-1].stderr
    assert outputs[1].returncode == 1 and "sent row 3" in log.read_text("utf-8")
    for result in outputs:
        assert PASSWORD not in result.stdout + result.stderr
    files = [log, *tmp_path.glob("outreach.db*"), *batch.folder.rglob("*.*")]
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path


def _send_process(tmp_path: Path, env: dict[str, str], folder: Path) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")} | env
    return subprocess.Popen(
        [sys.executable, "-m", "outreach", "send", str(folder)],
        cwd=tmp_path,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ledger_states(db: Path, batch: Batch) -> dict[str, str]:
    with Ledger(db) as ledger:
        return {mid: e.state for mid, e in ledger.entries(batch.message_ids()).items()}


def test_a_run_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, server: Server, env: dict[str, str]
) -> None:
    batch = drafted(tmp_path, server, 12)
    cli(tmp_path, env, "approve", str(batch.folder), "--all")
    server.handler.script.delay = 0.15  # slow enough for the kill to land mid-batch
    process = _send_process(tmp_path, env, batch.folder)
    deadline = time.monotonic() + 60
    while len(server.handler.deliveries) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    delivered_before = server.handler.count_by_message_id()
    assert 4 <= sum(delivered_before.values()) < 12

    server.handler.script.delay = 0
    rerun = cli(tmp_path, env, "send", str(batch.folder))
    db = tmp_path / "outreach.db"
    final = _ledger_states(db, batch)
    counts = server.handler.count_by_message_id()
    assert set(counts.values()) == {1}  # nothing twice
    assert set(final.values()) <= {"sent", "unknown"}  # nothing lost: each one is accounted for
    for message_id, state in final.items():
        if state == "sent":
            assert counts[message_id] == 1
    unknown = [mid for mid, state in final.items() if state == "unknown"]
    assert len(unknown) <= 1 and rerun.returncode == (1 if unknown else 0)
    # The person checks what arrived and settles it; then every message has arrived exactly once.
    for message_id in unknown:
        arrived = counts[message_id] == 1
        cli(tmp_path, env, "resolve", message_id, "--sent" if arrived else "--resend")
    assert cli(tmp_path, env, "send", str(batch.folder)).returncode == 0
    counts = server.handler.count_by_message_id()
    assert sorted(counts) == sorted(batch.message_ids()) and set(counts.values()) == {1}


def test_two_runs_started_together_send_each_message_once(
    tmp_path: Path, server: Server, env: dict[str, str]
) -> None:
    batch = drafted(tmp_path, server, 8)
    cli(tmp_path, env, "approve", str(batch.folder), "--all")
    server.handler.script.delay = 0.2  # the first run is still going when the second starts
    processes = [_send_process(tmp_path, env, batch.folder) for _ in range(2)]
    results = [(p.communicate(timeout=120)[1], p.returncode) for p in processes]
    assert sorted(code for _, code in results) == [0, 3], results
    assert "this run steps aside" in next(err for err, code in results if code == 3)
    counts = server.handler.count_by_message_id()
    assert sorted(counts) == sorted(batch.message_ids()) and set(counts.values()) == {1}
    assert set(_ledger_states(tmp_path / "outreach.db", batch).values()) == {"sent"}
    assert read_batch(batch.folder) == batch  # sending never touches the batch folder


def test_outside_the_window_a_quiet_run_is_silent_and_exits_4(
    tmp_path: Path, server: Server, env: dict[str, str]
) -> None:
    batch = drafted(tmp_path, server, 1)
    cli(tmp_path, env, "approve", str(batch.folder), "--all")
    other_day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(time.gmtime().tm_wday + 3) % 7]
    window = {**env, "OUTREACH_SEND_WINDOW": f"{other_day} 09:00-17:00 UTC"}
    result = cli(tmp_path, window, "send", str(batch.folder), "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (4, "", "")
    result = cli(tmp_path, window, "send", str(batch.folder))
    assert (
        f"stopped early: outside the sending window ({other_day} 09:00-17:00 UTC)" in result.stderr
    )
    assert server.handler.deliveries == []
