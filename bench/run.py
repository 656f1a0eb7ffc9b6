"""`make bench`: outreach against mailmerge 2.3.0, side by side, in one run.

    .venv/bin/python bench/run.py [--draft-runs 5] [--send-runs 5] [--messages 2000]

1. installs mailmerge 2.3.0 into bench/.venv-mailmerge (skipped when it is there);
2. writes contact files of 1k, 10k and 100k rows with bench/make_contacts.py into bench/data/, and
   for mailmerge a database CSV derived from the same rows (skipped when present);
3. measures, alternating outreach and mailmerge run by run:
   - `outreach draft` against `mailmerge --dry-run --output-format raw > /dev/null` on 10k rows;
   - `outreach send` against `mailmerge --no-dry-run` delivering the same number of messages to an
     SMTP sink (bench/sink.py) on 127.0.0.1 in its own process; the sink's count is checked;
   - `outreach draft` at 1k and 100k rows (once each) next to the 10k median;
4. prints one table and writes it as JSON to bench/results/bench-<UTC time>.json and latest.json.

One comparison alone, quickly (10k-row data only; nothing written to latest.json):

    .venv/bin/python bench/run.py --only draft [--draft-runs 5] [--outreach LABEL=PATH ...]
    .venv/bin/python bench/run.py --only send [--send-runs 5] [--sink-pipelining]
                                  [--outreach LABEL=PATH ...]

--sink-pipelining makes the sink offer PIPELINING (RFC 2920) to both tools; each --outreach adds
another outreach executable (e.g. an older checkout's .venv/bin/outreach) to the rotation, so
versions are compared run by run against the same mailmerge runs. Results go to
bench/results/draft-<UTC time>.json or send-<UTC time>.json.

Before each timed command the disk is flushed and left to settle (see `settle`). Every command
runs as a subprocess, in its own session, with a time limit; on any error the
process group and the sink are killed and the temporary folders removed.
"""

import argparse
import csv
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
OUTREACH = ROOT / ".venv" / "bin" / "outreach"
ENV_FILE = BENCH / "bench.env"
MAILMERGE_VERSION = "2.3.0"
MAILMERGE_VENV = BENCH / ".venv-mailmerge"
MAILMERGE = MAILMERGE_VENV / "bin" / "mailmerge"
MAILMERGE_TEMPLATE = BENCH / "mailmerge" / "template.txt"
TIME = Path("/usr/bin/time")
SIZES = (1_000, 10_000, 100_000)
COMPARE_ROWS = 10_000
GERMAN_COUNTRIES = {"DE", "AT", "CH", "LI"}

# Fallback when /usr/bin/time is missing: a small Python parent runs the command and reports its
# children's peak RSS (KiB on Linux), which is what `time -f %M` reports.
RUSAGE_WRAPPER = """\
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as handle:
    handle.write(f"{usage.ru_maxrss} {usage.ru_utime} {usage.ru_stime}")
sys.exit(code)
"""


class BenchError(Exception):
    """A step failed: reported in one line, after everything was cleaned up."""


@dataclass
class Run:
    seconds: float
    rss_kb: int  # peak RSS of the largest single process (time -f %M)
    tree_pss_kb: int | None  # peak summed PSS over the process tree (sampled runs only)
    cpu_seconds: float = 0.0  # user + system CPU time of the command and its children
    system_seconds: float = 0.0  # the system (kernel) part of it


# --- set-up -------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_mailmerge() -> str:
    """mailmerge 2.3.0 in its own virtual environment made with this Python; returns its version."""
    python = MAILMERGE_VENV / "bin" / "python"
    query = [str(python), "-c", "import importlib.metadata as m; print(m.version('mailmerge'))"]
    if MAILMERGE.exists() and python.exists():
        found = subprocess.run(query, capture_output=True, text=True, timeout=60)
        if found.returncode == 0 and found.stdout.strip() == MAILMERGE_VERSION:
            return MAILMERGE_VERSION
    log(f"installing mailmerge {MAILMERGE_VERSION} into {MAILMERGE_VENV.relative_to(ROOT)}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(MAILMERGE_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"mailmerge=={MAILMERGE_VERSION}"],
        check=True, timeout=300,
    )  # fmt: skip
    found = subprocess.run(query, capture_output=True, text=True, check=True, timeout=60)
    return found.stdout.strip()


def contacts_file(rows: int) -> Path:
    return DATA / f"contacts-{rows}.csv"


def mailmerge_database(rows: int) -> Path:
    return DATA / f"mailmerge-{rows}.csv"


def ensure_data(sizes: Sequence[int]) -> None:
    """Contacts files from make_contacts.py and mailmerge databases derived from the same rows."""
    DATA.mkdir(parents=True, exist_ok=True)
    for rows in sizes:
        target = contacts_file(rows)
        if not target.exists():
            log(f"writing {target.relative_to(ROOT)}")
            partial = target.with_suffix(".part")
            subprocess.run(
                [sys.executable, str(BENCH / "make_contacts.py"), str(rows), str(partial)],
                check=True, timeout=300,
            )  # fmt: skip
            partial.replace(target)
        database = mailmerge_database(rows)
        if not database.exists():
            partial = database.with_suffix(".part")
            derive_mailmerge_database(target, partial)
            partial.replace(database)


def derive_mailmerge_database(contacts: Path, target: Path) -> None:
    """The columns mailmerge's template needs: address, name to greet, organisation, language
    (German for the countries outreach also writes German to, else English)."""
    with (
        contacts.open(encoding="utf-8", newline="") as source,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out)
        writer.writerow(["email", "name", "organisation", "language"])
        for row in csv.DictReader(source):
            parts = (row["salutation"], row["title"], row["contact_name"])
            name = " ".join(part for part in parts if part)
            language = "de" if row["country"].upper() in GERMAN_COUNTRIES else "en"
            writer.writerow([row["email"], name, row["organisation"], language])


# --- measuring one command ----------------------------------------------------------------------


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without any OUTREACH_ setting of the person running the bench."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env.update(extra)
    return env


def tree_pss_kb(root: int) -> int | None:
    """Summed PSS of `root` and all its descendants (Linux /proc), or None where unavailable.
    PSS shares each page among the processes that map it, so forked workers are not counted
    twice for the pages they share with their parent."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        parents.setdefault(ppid, []).append(int(entry))
    total, todo, seen = 0, [root], False
    while todo:
        pid = todo.pop()
        todo.extend(parents.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        seen = True
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total if seen else None


class TreeSampler(threading.Thread):
    """Samples the process tree's summed PSS every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak: int | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            sample = tree_pss_kb(self.pid)
            if sample is not None:
                self.peak = max(self.peak or 0, sample)
            self.done.wait(self.interval)


def measure(
    command: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    label: str,
    sample: bool = False,
) -> Run:
    """Run `command` once: wall time, peak RSS (time -f %M) and, with `sample`, the peak
    process-tree PSS. stdout goes to /dev/null; stderr is kept and shown when the command fails.

    Sampling reads /proc for every process of the tree ten times a second, which took about a
    tenth off outreach's three processes on two cores (and almost nothing off mailmerge's one):
    timed runs are not sampled; the tree PSS comes from one extra run (see `tree_pss_mb`)."""
    rss_file = cwd / ".rss"
    err_file = cwd / ".stderr"
    if TIME.exists():
        wrapped = [str(TIME), "-f", "%M %U %S", "-o", str(rss_file), *command]
    else:
        wrapped = [sys.executable, "-c", RUSAGE_WRAPPER, str(rss_file), *command]
    settle()
    with err_file.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            wrapped, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
            start_new_session=True,  # its own process group: killed as a whole on any error
        )  # fmt: skip
        sampler = TreeSampler(process.pid)
        if sample:
            sampler.start()
        try:
            code = process.wait(timeout=timeout)
            seconds = time.perf_counter() - started
        except BaseException:
            kill_group(process)
            raise
        finally:
            sampler.done.set()
            if sample:
                sampler.join()
    if code != 0:
        tail = err_file.read_text("utf-8", "replace").strip().splitlines()[-5:]
        raise BenchError(f"{label} exited with {code}: " + " | ".join(tail))
    rss, user, system = rss_file.read_text().strip().splitlines()[-1].split()
    return Run(seconds, int(rss), sampler.peak, float(user) + float(system), float(system))


QUIET_CREATE_US = 40.0  # creating an empty file takes 18-35 µs on a quiet ext4 disk here
PROBE_FILES = 5_000


def wait_for_quiet_disk(work: Path, limit: float = 300.0) -> float:
    """Wait until creating files is fast again; return the last probe's µs per file.

    Right after many files are deleted (the end of an earlier bench: about 240,000), creating a
    file here took 35 times as long for a while, and every outreach run started then paid for
    it; mailmerge creates no files. A probe of 5,000 empty files every 10 s until two in a row
    are quick, at most `limit`. (A single probe of 1,000 files once passed at 89 µs while 10k
    drafts still cost three times the usual system time.)
    """
    deadline = time.monotonic() + limit
    quiet_probes = 0
    while True:
        probe = Path(tempfile.mkdtemp(prefix="probe-", dir=work))
        started = time.perf_counter()
        for number in range(PROBE_FILES):
            os.close(os.open(probe / str(number), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        per_file = (time.perf_counter() - started) / PROBE_FILES * 1e6
        quiet_probes = quiet_probes + 1 if per_file <= QUIET_CREATE_US else 0
        if quiet_probes == 2 or time.monotonic() > deadline:
            return round(per_file, 1)
        if not quiet_probes:
            log(f"creating a file takes {per_file:.0f} µs (quiet: under {QUIET_CREATE_US:.0f}): "
                "waiting for the disk to settle after recent deletions")  # fmt: skip
        time.sleep(10)


def settle(limit: float = 15.0) -> None:
    """Flush written files and wait until the disk is idle, so no run pays for an earlier one.

    Dirty pages of an earlier run would otherwise be written back during the next one.
    """
    os.sync()
    deadline = time.monotonic() + limit
    last = _disk_activity()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _disk_activity()
        if now == last:
            return
        last = now


def _disk_activity() -> tuple[int, ...]:
    """Completed writes and discards per block device (empty where /proc/diskstats is missing)."""
    try:
        lines = Path("/proc/diskstats").read_text().splitlines()
    except OSError:
        return ()
    fields = [line.split() for line in lines]
    return tuple(int(f[7]) + (int(f[14]) if len(f) > 14 else 0) for f in fields if len(f) > 7)


def kill_group(process: subprocess.Popen[Any]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# --- the SMTP sink ------------------------------------------------------------------------------


class Sink:
    """bench/sink.py in its own process; `delivered` is read when it stops."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process, self.port = process, port
        self.delivered: int | None = None

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=15)
        for line in out.splitlines():
            if line.startswith("delivered "):
                self.delivered = int(line.split()[1])
        if self.delivered is None:
            raise BenchError(f"the sink did not report its count (exit {self.process.returncode})")
        return self.delivered


@contextmanager
def sink(timeout: float, *, pipelining: bool = False) -> Iterator[Sink]:
    options = ["--pipelining"] if pipelining else []
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "sink.py"), "--timeout", str(timeout), *options],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("port "):
            raise BenchError(f"the sink did not start: {line!r}")
        yield Sink(process, int(line.split()[1]))
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


# --- the measurements ---------------------------------------------------------------------------


def outreach_draft(
    contacts: Path, work: Path, timeout: float, *, sample: bool = False, outreach: Path = OUTREACH
) -> Run:
    """`outreach draft` into a fresh output folder (and a fresh, empty ledger).

    The folder stays until the whole bench is over: for a minute or more after many files are
    deleted, ext4 skips their inodes one by one when it creates a file (`recently_deleted` in
    perf), which would charge one run's clean-up to the next run.
    """
    run_dir = Path(tempfile.mkdtemp(prefix="draft-", dir=work))
    try:
        env = clean_environment(OUTREACH_DB=str(run_dir / "outreach.db"))
        command = [str(outreach), "--env-file", str(ENV_FILE), "draft", str(contacts),
                   "--out", str(run_dir / "out"), "--batch", "b", "--quiet"]  # fmt: skip
        run = measure(
            command, cwd=run_dir, env=env, timeout=timeout, label="outreach draft", sample=sample
        )
        drafts = sum(1 for _ in os.scandir(run_dir / "out" / "b" / "drafts"))
        expected = count_rows(contacts)
        if drafts != expected:
            raise BenchError(f"outreach draft wrote {drafts} drafts for {expected} rows")
        return run
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise


def mailmerge_config(folder: Path, port: int) -> Path:
    config = folder / "mailmerge_server.conf"
    config.write_text(
        f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\nsecurity = Never\nratelimit = 0\n",
        "utf-8",
    )
    return config


def mailmerge_command(database: Path, config: Path, *, dry_run: bool) -> list[str]:
    return [str(MAILMERGE), "--template", str(MAILMERGE_TEMPLATE), "--database", str(database),
            "--config", str(config), "--no-limit", "--dry-run" if dry_run else "--no-dry-run",
            "--output-format", "raw"]  # fmt: skip


def mailmerge_draft(database: Path, work: Path, timeout: float, *, sample: bool = False) -> Run:
    """mailmerge renders every row (dry run) and prints it raw to /dev/null."""
    run_dir = Path(tempfile.mkdtemp(prefix="mailmerge-", dir=work))
    try:
        config = mailmerge_config(run_dir, 25)  # a dry run never connects
        command = mailmerge_command(database, config, dry_run=True)
        return measure(command, cwd=run_dir, env=clean_environment(), timeout=timeout,
                       label="mailmerge --dry-run", sample=sample)  # fmt: skip
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def prepare_send_batch(
    contacts: Path, work: Path, timeout: float, outreach: Path = OUTREACH
) -> Path:
    """Draft the send rows once (not timed); each send run gets a copy and its own ledger."""
    folder = work / "send-template"
    folder.mkdir()
    env = clean_environment(OUTREACH_DB=str(folder / "outreach.db"))
    command = [str(outreach), "--env-file", str(ENV_FILE), "draft", str(contacts),
               "--out", str(folder / "out"), "--batch", "b", "--quiet"]  # fmt: skip
    measure(command, cwd=folder, env=env, timeout=timeout, label="outreach draft (send batch)")
    return folder / "out" / "b"


def outreach_send(
    batch: Path,
    messages: int,
    work: Path,
    timeout: float,
    *,
    outreach: Path = OUTREACH,
    pipelining: bool = False,
) -> Run:
    """Approve all in a fresh ledger, then time `outreach send` to a fresh sink."""
    run_dir = Path(tempfile.mkdtemp(prefix="send-", dir=work))
    try:
        copy = run_dir / "b"
        shutil.copytree(batch, copy)
        env = clean_environment(OUTREACH_DB=str(run_dir / "outreach.db"))
        approve = [str(outreach), "--env-file", str(ENV_FILE), "approve", str(copy), "--all"]
        measure(approve, cwd=run_dir, env=env, timeout=timeout, label="outreach approve")
        with sink(timeout + 60, pipelining=pipelining) as server:
            env.update(to_sink(server.port))
            command = [str(outreach), "--env-file", str(ENV_FILE), "send", str(copy)]
            run = measure(command, cwd=run_dir, env=env, timeout=timeout, label="outreach send")
            delivered = server.stop()
        if delivered != messages:
            raise BenchError(f"outreach send: the sink got {delivered} of {messages} messages")
        return run
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def to_sink(port: int) -> dict[str, str]:
    """Settings that send to the sink as fast as possible: no TLS, no pacing, no daily limit."""
    return {
        "OUTREACH_SMTP_HOST": "127.0.0.1",
        "OUTREACH_SMTP_PORT": str(port),
        "OUTREACH_SMTP_SECURITY": "none",
        "OUTREACH_RATE": "0",
        "OUTREACH_DAILY_LIMIT": "0",
    }


def mailmerge_send(
    database: Path, messages: int, work: Path, timeout: float, *, pipelining: bool = False
) -> Run:
    run_dir = Path(tempfile.mkdtemp(prefix="mailmerge-send-", dir=work))
    try:
        with sink(timeout + 60, pipelining=pipelining) as server:
            config = mailmerge_config(run_dir, server.port)
            command = mailmerge_command(database, config, dry_run=False)
            run = measure(command, cwd=run_dir, env=clean_environment(), timeout=timeout,
                          label="mailmerge --no-dry-run")  # fmt: skip
            delivered = server.stop()
        if delivered != messages:
            raise BenchError(f"mailmerge: the sink got {delivered} of {messages} messages")
        return run
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def count_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def head_rows(source: Path, rows: int, target: Path) -> None:
    """The first `rows` rows of a CSV file (header kept)."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(next(reader))
            for _, row in zip(range(rows), reader, strict=False):
                writer.writerow(row)


# --- summaries ----------------------------------------------------------------------------------


def summary(runs: list[Run], units: int) -> dict[str, Any]:
    seconds = [r.seconds for r in runs]
    median = statistics.median(seconds)
    return {
        "runs_seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(median, 3),
        "per_second": round(units / median, 1),
        "microseconds_per_unit": round(median / units * 1e6, 1),
        "runs_peak_rss_mb": [round(r.rss_kb / 1024, 1) for r in runs],
        "median_peak_rss_mb": round(statistics.median(r.rss_kb for r in runs) / 1024, 1),
        "tree_pss_mb": None,  # filled in from a separate sampled run (see measure)
        "median_cpu_ms_per_unit": round(
            statistics.median(r.cpu_seconds for r in runs) / units * 1e3, 3
        ),
        "median_system_cpu_ms_per_unit": round(
            statistics.median(r.system_seconds for r in runs) / units * 1e3, 3
        ),
    }


def tree_pss_mb(run: Run) -> float | None:
    """The peak tree PSS of a sampled run, in MB."""
    return round(run.tree_pss_kb / 1024, 1) if run.tree_pss_kb is not None else None


def spread(item: dict[str, Any]) -> str:
    runs = item["runs_seconds"]
    return f"{min(runs):.2f}–{max(runs):.2f}" if len(runs) > 1 else "1 run"


def table(result: dict[str, Any]) -> str:
    machine, draft, scaling = result["machine"], result["draft"], result["scaling"]
    load = machine["loadavg_start"], machine["loadavg_end"]
    mm = f"mailmerge {result['mailmerge_version']}"
    lines = [
        f"outreach {result['outreach_version']} vs {mm}   {result['started_utc']}   "
        f"nproc {machine['nproc']}   load (1/5/15 min) start "
        f"{' '.join(f'{x:.2f}' for x in load[0])}, end {' '.join(f'{x:.2f}' for x in load[1])}",
        f"creating an empty file at the start: {result['file_create_us_at_start']:.0f} µs "
        f"(quiet disk: under {QUIET_CREATE_US:.0f})",
        "",
        f"draft {draft['rows']:,} rows, median of {len(draft['outreach']['runs_seconds'])} "
        "alternating runs",
        f"  {'':34}{'median s':>9}{'range s':>13}{'rows/s':>9}{'CPU ms/row':>11}"
        f"{'peak RSS MB':>13}{'tree PSS MB':>13}",
    ]
    for name, item in (
        ("outreach draft", draft["outreach"]),
        (f"{mm} --dry-run", draft["mailmerge"]),
    ):
        tree = item["tree_pss_mb"]
        lines.append(
            f"  {name:34}{item['median_seconds']:9.2f}{spread(item):>13}{item['per_second']:9,.0f}"
            f"{item['median_cpu_ms_per_unit']:11.3f}{item['median_peak_rss_mb']:13.1f}"
            f"{tree if tree is not None else '-':>13}"
        )
    lines += [
        f"  ratio mailmerge time / outreach time: {draft['ratio']:.2f}   (> 1: outreach is faster; "
        "goal ≥ 1.0)",
        "",
    ]
    for send in (result["send"], result["send_pipelining"]):
        sink = "offering PIPELINING" if send["sink_pipelining"] else "stock aiosmtpd"
        lines += [
            f"send {send['messages']:,} messages to an SMTP sink on 127.0.0.1 ({sink}, own "
            f"process), median of {len(send['outreach']['runs_seconds'])} alternating runs",
            f"  {'':34}{'median s':>9}{'range s':>13}{'msg/s':>9}{'CPU ms/msg':>11}",
        ]
        for name, item in (
            ("outreach send (WAL, sync=FULL)", send["outreach"]),
            (f"{mm} --no-dry-run", send["mailmerge"]),
        ):
            lines.append(
                f"  {name:34}{item['median_seconds']:9.2f}{spread(item):>13}"
                f"{item['per_second']:9,.0f}{item['median_cpu_ms_per_unit']:11.3f}"
            )
        lines += [
            f"  ratio outreach rate / mailmerge rate: {send['ratio']:.2f}   "
            "(goal ≥ 1.3 to the stock sink, ≥ 1.5 with PIPELINING)",
            "",
        ]
    lines += [
        "outreach draft scaling",
        f"  {'rows':>10}{'runs':>6}{'median s':>10}{'µs/row':>9}{'rows/s':>9}{'peak RSS MB':>13}"
        f"{'tree PSS MB':>13}",
    ]
    for item in scaling["sizes"]:
        tree = item["tree_pss_mb"]
        lines.append(
            f"  {item['rows']:>10,}{len(item['runs_seconds']):>6}{item['median_seconds']:10.2f}"
            f"{item['microseconds_per_unit']:9.0f}{item['per_second']:9,.0f}"
            f"{item['median_peak_rss_mb']:13.1f}{tree if tree is not None else '-':>13}"
        )
    ratio_tree = scaling["tree_pss_ratio_100k_10k"]
    lines += [
        f"  peak RSS 100k / 10k: {scaling['rss_ratio_100k_10k']:.2f} (largest process), "
        f"{ratio_tree:.2f} (whole tree)   (goal ≤ 1.5 and under 300 MB)"
        if ratio_tree is not None
        else f"  peak RSS 100k / 10k: {scaling['rss_ratio_100k_10k']:.2f}   (goal ≤ 1.5, < 300 MB)",
        "",
        "peak RSS = largest single process (time -f %M); tree PSS = proportional set size summed "
        "over the command and its worker processes, peak of samples every 0.1 s, from one extra "
        "run that is not timed (sampling slows outreach's three processes by about a tenth).",
        f"whole bench: {result['total_seconds']:.0f} s. The machine is shared: compare ratios from "
        "the same run, not absolute times across runs.",
    ]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------


def outreach_version() -> str:
    found = subprocess.run([str(OUTREACH), "--version"], capture_output=True, text=True, timeout=60)
    return found.stdout.strip().split()[-1] if found.returncode == 0 else "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draft-runs", type=int, default=5, help="runs of each tool on 10k rows")
    parser.add_argument("--send-runs", type=int, default=5, help="send runs of each tool")
    parser.add_argument("--messages", type=int, default=2000, help="messages per send run")
    parser.add_argument(
        "--only", choices=["draft", "send"], help="only one comparison (see the module docstring)"
    )
    parser.add_argument(
        "--sink-pipelining", action="store_true", help="the sink offers PIPELINING (--only send)"
    )
    parser.add_argument(
        "--outreach", action="append", default=[], metavar="LABEL=PATH",
        help="another outreach executable to compare (with --only; repeatable)",
    )  # fmt: skip
    args = parser.parse_args()
    if not OUTREACH.exists():
        print("Error: .venv/bin/outreach is missing: run `make` (or `make test`) first.")
        return 2
    if args.only == "send":
        return send_only(args)
    if args.only == "draft":
        if args.sink_pipelining:
            parser.error("--sink-pipelining goes with --only send")
        return draft_only(args)
    if args.sink_pipelining or args.outreach:
        parser.error("--sink-pipelining and --outreach go with --only")

    started = time.perf_counter()
    started_utc = datetime.now(UTC)
    loadavg_start = os.getloadavg()
    try:
        mailmerge_version = ensure_mailmerge()
        ensure_data(SIZES)
        with tempfile.TemporaryDirectory(prefix="work-", dir=BENCH) as temp:
            work = Path(temp)
            measured = measure_all(args, work)
    except (BenchError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    result: dict[str, Any] = {
        "started_utc": started_utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "outreach_version": outreach_version(),
        "mailmerge_version": mailmerge_version,
        "machine": {
            "nproc": nproc,
            "cpu_count": os.cpu_count(),
            "loadavg_start": [round(x, 2) for x in loadavg_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
            "rss_tool": str(TIME) if TIME.exists() else "resource.getrusage(RUSAGE_CHILDREN)",
        },
        **measured,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    text = table(result)
    result["table"] = text
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench-{started_utc.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    shutil.copyfile(path, RESULTS / "latest.json")
    print(f"\nwritten: {path.relative_to(ROOT)} (and bench/results/latest.json)")
    return 0


def measure_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    compare = contacts_file(COMPARE_ROWS)
    compare_db = mailmerge_database(COMPARE_ROWS)
    create_us = wait_for_quiet_disk(work)
    outreach_runs: list[Run] = []
    mailmerge_runs: list[Run] = []
    for number in range(1, args.draft_runs + 1):
        log(f"draft {COMPARE_ROWS:,} rows, run {number}/{args.draft_runs}: outreach")
        outreach_runs.append(outreach_draft(compare, work, timeout=120))
        log(f"draft {COMPARE_ROWS:,} rows, run {number}/{args.draft_runs}: mailmerge")
        mailmerge_runs.append(mailmerge_draft(compare_db, work, timeout=120))
    draft: dict[str, Any] = {
        "rows": COMPARE_ROWS,
        "outreach": summary(outreach_runs, COMPARE_ROWS),
        "mailmerge": summary(mailmerge_runs, COMPARE_ROWS),
    }
    draft["ratio"] = round(
        draft["mailmerge"]["median_seconds"] / draft["outreach"]["median_seconds"], 3
    )
    log(f"draft {COMPARE_ROWS:,} rows: one sampled run of each for the tree PSS (not timed)")
    draft["outreach"]["tree_pss_mb"] = tree_pss_mb(outreach_draft(compare, work, 120, sample=True))
    draft["mailmerge"]["tree_pss_mb"] = tree_pss_mb(
        mailmerge_draft(compare_db, work, 120, sample=True)
    )

    sizes = []
    for rows in SIZES:
        if rows == COMPARE_ROWS:
            sizes.append({"rows": rows, **draft["outreach"]})
            continue
        log(f"draft {rows:,} rows: outreach")
        run = outreach_draft(contacts_file(rows), work, timeout=120 + rows / 250)
        item = {"rows": rows, **summary([run], rows)}
        log(f"draft {rows:,} rows: outreach, sampled for the tree PSS (not timed)")
        sampled = outreach_draft(contacts_file(rows), work, timeout=120 + rows / 250, sample=True)
        sizes.append({**item, "tree_pss_mb": tree_pss_mb(sampled)})
    by_rows = {item["rows"]: item for item in sizes}
    big, ten = by_rows[100_000], by_rows[10_000]
    scaling = {
        "sizes": sizes,
        "rss_ratio_100k_10k": round(big["median_peak_rss_mb"] / ten["median_peak_rss_mb"], 3),
        "tree_pss_ratio_100k_10k": (
            round(big["tree_pss_mb"] / ten["tree_pss_mb"], 3)
            if big["tree_pss_mb"] and ten["tree_pss_mb"]
            else None
        ),
    }

    messages = args.messages
    send_contacts = work / f"contacts-{messages}.csv"
    send_db = work / f"mailmerge-{messages}.csv"
    head_rows(compare, messages, send_contacts)
    head_rows(compare_db, messages, send_db)
    log(f"drafting the {messages:,} messages to send (not timed)")
    batch = prepare_send_batch(send_contacts, work, timeout=120)
    sends: dict[str, Any] = {}
    # The stock aiosmtpd sink, and the same sink offering PIPELINING as Postfix and the large
    # providers do; mailmerge (smtplib's sendmail) does not pipeline, so it is measured on both.
    for key, pipelining in (("send", False), ("send_pipelining", True)):
        outreach_runs, mailmerge_runs = [], []
        sink_name = "PIPELINING sink" if pipelining else "stock sink"
        for number in range(1, args.send_runs + 1):
            step = f"send {messages:,} messages, {sink_name}, run {number}/{args.send_runs}"
            log(f"{step}: outreach")
            outreach_runs.append(outreach_send(batch, messages, work, 120, pipelining=pipelining))
            log(
                f"send {messages:,} messages, {sink_name}, run {number}/{args.send_runs}: mailmerge"
            )
            mailmerge_runs.append(
                mailmerge_send(send_db, messages, work, timeout=120, pipelining=pipelining)
            )
        send: dict[str, Any] = {
            "messages": messages,
            "sink_pipelining": pipelining,
            "outreach": summary(outreach_runs, messages),
            "mailmerge": summary(mailmerge_runs, messages),
        }
        send["ratio"] = round(send["outreach"]["per_second"] / send["mailmerge"]["per_second"], 3)
        sends[key] = send
    return {"file_create_us_at_start": create_us, "draft": draft, "scaling": scaling, **sends}


def outreach_variants(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """This checkout's outreach and each --outreach LABEL=PATH; BenchError for a bad one."""
    variants: list[tuple[str, Path]] = [("outreach", OUTREACH)]
    for item in args.outreach:
        label, equals, path = item.partition("=")
        executable = Path(path).absolute()
        if not equals or not label or not executable.exists():
            raise BenchError(f"--outreach {item!r}: expected LABEL=PATH to an outreach executable")
        variants.append((label, executable))
    return variants


def alternate(
    what: str,
    count: int,
    variants: list[tuple[str, Path]],
    outreach_run: Callable[[Path], Run],
    mailmerge_run: Callable[[], Run],
) -> dict[str, list[Run]]:
    """Run each outreach variant, then mailmerge, `count` times over: runs by label."""
    runs: dict[str, list[Run]] = {label: [] for label, _ in variants}
    runs["mailmerge"] = []
    for number in range(1, count + 1):
        for label, executable in variants:
            log(f"{what}, run {number}/{count}: {label}")
            runs[label].append(outreach_run(executable))
        log(f"{what}, run {number}/{count}: mailmerge")
        runs["mailmerge"].append(mailmerge_run())
    return runs


Measured = tuple[dict[str, list[Run]], int, str, dict[str, Any]]  # runs, units, title, details


def compare_only(
    kind: str,
    args: argparse.Namespace,
    measure_in: Callable[[Path, list[tuple[str, Path]]], Measured],
) -> int:
    """One --only comparison: set up, run `measure_in` in a work folder, write the table."""
    started_utc = datetime.now(UTC)
    loadavg_start = os.getloadavg()
    try:
        variants = outreach_variants(args)
        mailmerge_version = ensure_mailmerge()
        ensure_data((COMPARE_ROWS,))
        with tempfile.TemporaryDirectory(prefix="work-", dir=BENCH) as temp:
            runs, units, title, details = measure_in(Path(temp), variants)
    except (BenchError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return write_comparison(
        kind, title, runs, units, variants, mailmerge_version, started_utc, loadavg_start, details
    )


def draft_only(args: argparse.Namespace) -> int:
    """The draft comparison alone: each outreach variant and mailmerge, alternating run by run."""
    rows = COMPARE_ROWS

    def measure_in(work: Path, variants: list[tuple[str, Path]]) -> Measured:
        wait_for_quiet_disk(work)
        runs = alternate(
            f"draft {rows:,} rows", args.draft_runs, variants,
            lambda outreach: outreach_draft(contacts_file(rows), work, 120, outreach=outreach),
            lambda: mailmerge_draft(mailmerge_database(rows), work, 120),
        )  # fmt: skip
        title = f"draft {rows:,} rows, median of {args.draft_runs} alternating runs"
        note = "CPU ms/row: user + system CPU of all its processes, per row"
        return runs, rows, title, {"rows": rows, "note": note}

    return compare_only("draft", args, measure_in)


def send_only(args: argparse.Namespace) -> int:
    """The send comparison alone: each outreach variant and mailmerge, alternating run by run."""
    messages, pipelining = args.messages, args.sink_pipelining

    def measure_in(work: Path, variants: list[tuple[str, Path]]) -> Measured:
        send_contacts = work / f"contacts-{messages}.csv"
        send_db = work / f"mailmerge-{messages}.csv"
        head_rows(contacts_file(COMPARE_ROWS), messages, send_contacts)
        head_rows(mailmerge_database(COMPARE_ROWS), messages, send_db)
        log(f"drafting the {messages:,} messages to send (not timed)")
        batch = prepare_send_batch(send_contacts, work, timeout=120)
        runs = alternate(
            f"send {messages:,} messages", args.send_runs, variants,
            lambda outreach: outreach_send(
                batch, messages, work, 120, outreach=outreach, pipelining=pipelining
            ),
            lambda: mailmerge_send(send_db, messages, work, timeout=120, pipelining=pipelining),
        )  # fmt: skip
        sink_kind = "sink with PIPELINING" if pipelining else "stock aiosmtpd sink"
        title = (
            f"send {messages:,} messages to the {sink_kind} on 127.0.0.1, median of "
            f"{args.send_runs} alternating runs"
        )
        note = "CPU ms/msg: user + system CPU of the sending process (not the sink), per message"
        return runs, messages, title, {"messages": messages, "sink_pipelining": pipelining,
                                       "note": note}  # fmt: skip

    return compare_only("send", args, measure_in)


def write_comparison(
    kind: str,
    title: str,
    runs: dict[str, list[Run]],
    units: int,
    variants: list[tuple[str, Path]],
    mailmerge_version: str,
    started_utc: datetime,
    loadavg_start: tuple[float, ...],
    details: dict[str, Any],
) -> int:
    """Print one --only comparison as a table and write it to bench/results/<kind>-<time>.json."""
    loadavg_end = os.getloadavg()
    summaries = {label: summary(items, units) for label, items in runs.items()}
    mailmerge_rate = summaries["mailmerge"]["per_second"]
    unit = "row" if kind == "draft" else "msg"
    lines = [
        f"{title}   {started_utc:%Y-%m-%d %H:%M:%S} UTC",
        f"load (1/5/15 min) start {' '.join(f'{x:.2f}' for x in loadavg_start)}, "
        f"end {' '.join(f'{x:.2f}' for x in loadavg_end)}",
        f"  {'':24}{'median s':>9}{'range s':>12}{unit + '/s':>8}{'CPU ms/' + unit:>11}"
        f"{'of it sys':>10}{'× mailmerge':>12}  runs {unit}/s",
    ]
    for label, item in summaries.items():
        name = f"mailmerge {mailmerge_version}" if label == "mailmerge" else label
        each = " ".join(f"{units / s:.0f}" for s in item["runs_seconds"])
        lines.append(
            f"  {name:24}{item['median_seconds']:9.2f}{spread(item):>12}{item['per_second']:8,.0f}"
            f"{item['median_cpu_ms_per_unit']:11.3f}{item['median_system_cpu_ms_per_unit']:10.3f}"
            f"{item['per_second'] / mailmerge_rate:12.2f}  {each}"
        )
    text = "\n".join(lines)
    print(text)
    result = {
        "started_utc": started_utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        **details,
        "mailmerge_version": mailmerge_version,
        "variants": {label: str(path) for label, path in variants},
        "loadavg_start": [round(x, 2) for x in loadavg_start],
        "loadavg_end": [round(x, 2) for x in loadavg_end],
        kind: summaries,
        "table": text,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{kind}-{started_utc.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
