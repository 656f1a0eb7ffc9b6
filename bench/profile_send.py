"""Profile one `outreach send` of N messages to bench/sink.py under cProfile.

    .venv/bin/python bench/profile_send.py [--messages 2000] [--outreach PATH] [--sink-pipelining]
                                           [--top 25] [--save FILE.prof]

Drafts N rows of bench/make_contacts.py output into a temporary folder, approves them all in a
fresh ledger (as bench/run.py's send comparison does), then runs `outreach send` with the
interpreter of --outreach (default .venv/bin/outreach) under `python -m cProfile`, and prints
the top functions by own time and by cumulative time in milliseconds per message.
cProfile slows pure-Python code down, so read the shares, not the absolute times.
"""

import argparse
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run as bench  # bench/run.py: the script's folder is first on sys.path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--outreach", type=Path, default=bench.OUTREACH)
    parser.add_argument("--sink-pipelining", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, help="also keep the raw profile here")
    args = parser.parse_args()
    outreach = args.outreach.absolute()
    python = outreach.parent / "python"
    with tempfile.TemporaryDirectory(prefix="outreach-profile-") as temp:
        work = Path(temp)
        contacts = work / "contacts.csv"
        subprocess.run(
            [sys.executable, str(bench.BENCH / "make_contacts.py"), str(args.messages),
             str(contacts)],
            check=True, timeout=300,
        )  # fmt: skip
        batch = bench.prepare_send_batch(contacts, work, timeout=300, outreach=outreach)
        env = bench.clean_environment(OUTREACH_DB=str(work / "outreach.db"))
        approve = [str(outreach), "--env-file", str(bench.ENV_FILE), "approve", str(batch), "--all"]
        subprocess.run(approve, env=env, check=True, capture_output=True, timeout=300)
        profile = work / "send.prof"
        with bench.sink(600, pipelining=args.sink_pipelining) as server:
            env.update(bench.to_sink(server.port))
            command = [str(python), "-m", "cProfile", "-o", str(profile), "-m", "outreach",
                       "--env-file", str(bench.ENV_FILE), "send", str(batch)]  # fmt: skip
            started = time.perf_counter()
            subprocess.run(command, env=env, cwd=work, check=True, stderr=subprocess.DEVNULL)
            seconds = time.perf_counter() - started
            delivered = server.stop()
        if delivered != args.messages:
            print(f"the sink got {delivered} of {args.messages} messages", file=sys.stderr)
            return 1
        if args.save:
            shutil.copyfile(profile, args.save)
        report(pstats.Stats(str(profile)), args.messages, args.top, seconds)
    return 0


def report(stats: pstats.Stats, messages: int, top: int, seconds: float) -> None:
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(own for _calls, _prim, own, _cum, _callers in table.values())
    print(
        f"{messages} messages in {seconds:.2f} s under cProfile "
        f"({seconds / messages * 1e3:.3f} ms/message wall; profiled "
        f"{total / messages * 1e3:.3f} ms/message)"
    )
    for key, title in ((2, "own time"), (3, "cumulative time")):
        print(f"\ntop {top} by {title} (ms per message, calls per message)")
        rows = sorted(table.items(), key=lambda item: item[1][key], reverse=True)[:top]
        for (filename, line, name), (calls, _prim, own, cum, _callers) in rows:
            where = f"{Path(filename).name}:{line}" if line else filename
            print(
                f"  {own / messages * 1e3:7.3f} own {cum / messages * 1e3:7.3f} cum "
                f"{calls / messages:7.1f}x  {name}  ({where})"
            )


if __name__ == "__main__":
    sys.exit(main())
