"""Messages per second from `outreach send` (ledger fully durable) to a local SMTP sink.

    .venv/bin/python bench/send_throughput.py [--count 2000] [--mailmerge PATH/TO/mailmerge]

The sink is aiosmtpd on 127.0.0.1 without TLS, accepting everything, so the numbers measure the
sender. With --mailmerge, the same count goes through mailmerge (`--no-dry-run --no-limit`,
`security = Never`) to the same sink for comparison. Results also go to bench/results/send.json.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from outreach.approval import Selection, approve
from outreach.batch import read_batch
from outreach.ledger import Ledger
from outreach.pipeline import draft_batch
from outreach.sender import send_batch
from outreach.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "send.json"


class Sink:
    """Counts what arrives."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


class LocalController(Controller):
    """aiosmtpd on a free port (Controller(port=0) fails its own start-up check)."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def outreach_run(folder: Path, port: int, count: int, sink: Sink) -> dict[str, float]:
    settings = Settings.model_validate(
        {
            "from_": "Bench <bench@example.org>",
            "unsubscribe": "unsubscribe@example.org",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "db": folder / "outreach.db",
        }
    )
    contacts = folder / "contacts.csv"
    rows = [f"Verein {i},person{i}@example.org,Ein Verein" for i in range(count)]
    contacts.write_text("organisation,email,description\n" + "\n".join(rows) + "\n", "utf-8")
    started = time.perf_counter()
    draft_batch(contacts, folder / "out", "bench", settings)
    drafted = time.perf_counter() - started
    batch = read_batch(folder / "out" / "bench")
    with Ledger(settings.db) as ledger:
        approve(ledger, batch, Selection(all=True).pick(batch))
    before = sink.count
    started = time.perf_counter()
    report = send_batch(batch, settings)
    seconds = time.perf_counter() - started
    assert report.count("sent") == count == sink.count - before, report
    return {"messages": count, "seconds": seconds, "per_second": count / seconds,
            "draft_seconds": drafted}  # fmt: skip


def mailmerge_run(
    folder: Path, port: int, count: int, sink: Sink, command: str
) -> dict[str, float]:
    (folder / "mailmerge_template.txt").write_text(
        "TO: {{email}}\nSUBJECT: Partnerschaft\nFROM: Bench <bench@example.org>\n\n"
        "Guten Tag {{name}},\n\nEin kurzer Text.\n",
        "utf-8",
    )
    rows = [f"person{i}@example.org,Verein {i}" for i in range(count)]
    (folder / "mailmerge_database.csv").write_text("email,name\n" + "\n".join(rows) + "\n", "utf-8")
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\nsecurity = Never\n", "utf-8"
    )
    before = sink.count
    started = time.perf_counter()
    subprocess.run(
        [command, "--no-dry-run", "--no-limit", "--output-format", "raw"],
        cwd=folder, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert sink.count - before == count
    return {"messages": count, "seconds": seconds, "per_second": count / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--mailmerge", default=None, help="path to a mailmerge 2.3.0 executable")
    args = parser.parse_args()
    sink = Sink()
    controller = LocalController(
        sink, hostname="127.0.0.1", port=0, server_hostname="sink.example.org"
    )
    controller.start()
    results: dict[str, Any] = {"python": sys.version.split()[0]}
    try:
        with tempfile.TemporaryDirectory() as temp:
            results["outreach"] = outreach_run(Path(temp), controller.port, args.count, sink)
        if args.mailmerge:
            with tempfile.TemporaryDirectory() as temp:
                results["mailmerge"] = mailmerge_run(
                    Path(temp), controller.port, args.count, sink, args.mailmerge
                )
    finally:
        controller.stop()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    for name in ("outreach", "mailmerge"):
        if name in results:
            r = results[name]
            print(f"{name}: {r['messages']} messages in {r['seconds']:.1f} s = "
                  f"{r['per_second']:.0f} messages/s")  # fmt: skip


if __name__ == "__main__":
    main()
