"""An SMTP sink for the benchmarks: aiosmtpd on 127.0.0.1, in its own process, counting deliveries.

    .venv/bin/python bench/sink.py [--timeout SECONDS] [--pipelining]

Prints `port N` once it listens on a free port, accepts every message (no TLS, no AUTH) and counts
the ones whose DATA it answered with 250. With --pipelining its EHLO reply also offers PIPELINING
(RFC 2920), as Postfix and most submission servers do; aiosmtpd reads pipelined commands from its
stream one after another, so nothing else changes.

On SIGTERM or SIGINT, or after --timeout seconds (a safety net so a forgotten sink never lingers),
it stops and prints `delivered N`.

It runs in its own process so that it does not compete with the sender for one interpreter's GIL.
"""

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller


class Counter:
    """aiosmtpd handler: accept and count, keep nothing."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


class PipeliningCounter(Counter):
    """The same, with PIPELINING in the EHLO reply (only then is a handle_EHLO hook installed, so
    the default sink answers EHLO exactly as stock aiosmtpd does)."""

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


class LocalController(Controller):
    """Listens on a free port: Controller(port=0) fails its own start-up check, so read the port
    the server actually bound before that check runs."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0, help="exit after this many seconds")
    parser.add_argument("--pipelining", action="store_true", help="offer PIPELINING in EHLO")
    args = parser.parse_args()

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    counter = PipeliningCounter() if args.pipelining else Counter()
    controller = LocalController(
        counter, hostname="127.0.0.1", port=0, server_hostname="sink.example.org"
    )
    controller.start()
    try:
        print(f"port {controller.port}", flush=True)
        timed_out = not stop.wait(args.timeout)
    finally:
        controller.stop()
    print(f"delivered {counter.count}", flush=True)
    if timed_out:
        print(f"sink: stopped after the {args.timeout:g} s timeout", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
