"""Tests for the cleaning of cell values (text.single_line and multi_line)."""

import random
import re
import sys

from outreach.ingest.cells import multi_line, single_line

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_TRICKY = " \t\n\r\x00\x0b\x1f\x7f\x85\xa0\u2000\u2028\u2029\u200b\u3000\ufeffaäZ.-"


def reference_single_line(value: str) -> str:
    return re.sub(r"\s+", " ", _CONTROL.sub("", value)).strip()


def reference_multi_line(value: str) -> str:
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def test_only_the_ascii_space_is_printable_white_space() -> None:
    # The shortcut for tidy cells rests on this: any other white space makes a cell untidy.
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.match(r"\s", chr(c))]
    assert [c for c in spaces if c.isprintable()] == [" "]


def test_cleaning_matches_the_rules_for_any_text() -> None:
    rng = random.Random(27)
    for _ in range(20_000):
        value = "".join(rng.choice(_TRICKY) for _ in range(rng.randint(0, 10)))
        assert single_line(value) == reference_single_line(value), repr(value)
        assert multi_line(value) == reference_multi_line(value), repr(value)
