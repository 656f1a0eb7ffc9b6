"""The one header of a draft that changes after approval: its Date, set when it is sent."""

import hashlib
import re
from datetime import datetime
from email.utils import format_datetime

# A Date header line with its folded continuation lines, at the start of a header line.
_DATE = re.compile(rb"(?:^|(?<=\n))Date[ \t]*:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE)


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """The header section (with its last line end) and the rest, from the blank line on."""
    for blank in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(blank)
        if end >= 0:
            cut = end + len(blank) // 2
            return raw[:cut], raw[cut:]
    return raw, b""


def without_date(raw: bytes) -> bytes:
    """The draft's bytes with its Date header taken out: what an approval binds."""
    head, body = _split(raw)
    return _DATE.sub(b"", head) + body


def approval_digest(raw: bytes) -> str:
    """The SHA-256 an approval records: of every byte of the draft except its Date header."""
    return hashlib.sha256(without_date(raw)).hexdigest()


def dated(raw: bytes, moment: datetime) -> bytes:
    """The draft with its Date header set to `moment` (added first if it has none)."""
    head, body = _split(raw)
    line = f"Date: {format_datetime(moment)}\r\n".encode("ascii")
    first = _DATE.search(head)
    at = first.start() if first else 0
    head = _DATE.sub(b"", head)  # every match is at or after `at`: what comes before stays put
    return head[:at] + line + head[at:] + body
