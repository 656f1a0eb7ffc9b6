"""The DATA payload: line ends and dot-stuffing, byte for byte."""

import random
import re

import pytest

from outreach.send.smtp import _dot_stuffed


def reference(raw: bytes) -> bytes:
    """RFC 5321 section 4.5.2 spelt out with regular expressions (the earlier implementation)."""
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", raw)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


@pytest.mark.parametrize(
    ("raw", "payload"),
    [
        (b"", b"\r\n.\r\n"),
        (b"a", b"a\r\n.\r\n"),
        (b"a\r\n", b"a\r\n.\r\n"),
        (b"a\nb\rc\r\n", b"a\r\nb\r\nc\r\n.\r\n"),
        (b"\r\r\n\n", b"\r\n\r\n\r\n.\r\n"),
        (b".\r\n..x\n.", b"..\r\n...x\r\n..\r\n.\r\n"),
        (b"a.\r\n. b\r.c", b"a.\r\n.. b\r\n..c\r\n.\r\n"),
    ],
)
def test_line_ends_become_crlf_and_leading_dots_are_doubled(raw: bytes, payload: bytes) -> None:
    assert _dot_stuffed(raw) == payload == reference(raw)


def test_random_bytes_match_the_reference() -> None:
    rng = random.Random(2920)
    for _ in range(20_000):
        raw = bytes(rng.choice(b"\r\n.a") for _ in range(rng.randrange(0, 14)))
        assert _dot_stuffed(raw) == reference(raw), raw
