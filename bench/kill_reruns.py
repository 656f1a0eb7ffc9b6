"""Kill `outreach send` at random moments and run it again: is anything sent twice, or lost?

    .venv/bin/python bench/kill_reruns.py [--kills 30] [--messages 60] [--seed 1]

Drafts and approves a batch of --messages contacts once; then, --kills times, on a fresh copy of
that batch and a fresh ledger: starts `outreach send` against an SMTP server on 127.0.0.1 (in this
process; it answers each message after 5-30 ms), SIGKILLs the run at a random moment, runs
`outreach send` again to the end, and counts per kill:

- duplicates: deliveries of a Message-ID beyond its first;
- lost: messages neither delivered nor `unknown` (or `sent` in the ledger but never delivered);
- unknown: messages the ledger leaves for a person to settle (the run died while sending them).
"""

import argparse
import asyncio
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
OUTREACH = ROOT / ".venv" / "bin" / "outreach"


class Recorder:
    """Accepts every message after a short random wait and remembers its Message-ID."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lock = threading.Lock()
        self.delivered: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.rng.uniform(0.005, 0.030))
        message_id = str(BytesHeaderParser().parsebytes(envelope.original_content)["Message-ID"])
        with self.lock:
            self.delivered[message_id] += 1
        return "250 OK"


class LocalController(Controller):
    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def outreach(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OUTREACH), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    recorder = Recorder(rng)
    controller = LocalController(recorder, hostname="127.0.0.1", port=0)
    controller.start()
    work = Path(tempfile.mkdtemp(prefix="kill-reruns-"))
    try:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
        base_env |= {
            "OUTREACH_FROM": "Bench <bench@example.org>",
            "OUTREACH_SMTP_HOST": "127.0.0.1",
            "OUTREACH_SMTP_PORT": str(controller.port),
            "OUTREACH_SMTP_SECURITY": "none",
            "OUTREACH_DB": str(work / "draft.db"),
        }
        contacts = work / "contacts.csv"
        rows = [f"Verein {i},person{i}@example.org" for i in range(args.messages)]
        contacts.write_text("organisation,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
        drafted = outreach("draft", str(contacts), "--out", str(work), "--batch", "pristine",
                           "--quiet", env=base_env, cwd=work)  # fmt: skip
        assert drafted.returncode == 0, drafted.stderr
        totals = Counter[str]()
        print(" kill  after s  delivered before  duplicates  lost  unknown  rerun exit")
        for kill in range(1, args.kills + 1):
            folder = work / f"run{kill}"
            shutil.copytree(work / "pristine", folder)
            env = base_env | {"OUTREACH_DB": str(work / f"ledger{kill}.db")}
            assert outreach("approve", str(folder), "--all", env=env, cwd=work).returncode == 0
            with recorder.lock:
                recorder.delivered.clear()
            process = subprocess.Popen(
                [str(OUTREACH), "send", str(folder), "--quiet"],
                env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            after = rng.uniform(0.2, 1.8)
            time.sleep(after)
            process.send_signal(signal.SIGKILL)
            process.wait()
            with recorder.lock:
                before = sum(recorder.delivered.values())
            rerun = outreach("send", str(folder), "--quiet", env=env, cwd=work)
            with closing(sqlite3.connect(env["OUTREACH_DB"])) as db:
                states = dict(db.execute("SELECT message_id, state FROM messages").fetchall())
            with recorder.lock:
                delivered = Counter(recorder.delivered)
            duplicates = sum(count - 1 for count in delivered.values() if count > 1)
            unknown = sum(state == "unknown" for state in states.values())
            lost = sum(
                (state == "sent" and not delivered[mid]) or state not in ("sent", "unknown")
                for mid, state in states.items()
            )
            totals.update(duplicates=duplicates, lost=lost, unknown=unknown)
            print(f"{kill:5}  {after:7.2f}  {before:16}  {duplicates:10}  {lost:4}  {unknown:7}"
                  f"  {rerun.returncode:10}")  # fmt: skip
        print(f"totals over {args.kills} kills of {args.messages}-message runs: "
              f"{totals['duplicates']} duplicates, {totals['lost']} lost, "
              f"{totals['unknown']} unknown")  # fmt: skip
        return 0 if totals["duplicates"] == totals["lost"] == 0 else 1
    finally:
        controller.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
