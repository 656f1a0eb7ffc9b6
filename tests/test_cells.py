"""Cleaning of cell values: one line, or many lines with their breaks kept."""

import pytest

from outreach.ingest.cells import multi_line, single_line


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Beispiel e.V. ", "Beispiel e.V."),
        ("Jane\r\nRoe", "Jane Roe"),
        ("a\tb\u00a0c\u3000d", "a b c d"),  # tabs, no-break and ideographic spaces
        ("Ge\x00he\x1fim\x7f\x85", "Geheim"),  # control characters go, not become spaces
        ("Zeile\u2028Umbruch", "ZeileUmbruch"),
        ("", ""),
    ],
)
def test_single_line(value: str, expected: str) -> None:
    assert single_line(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("first line\r\nsecond\rthird\n", "first line\nsecond\nthird"),
        ("  a   b  \n\n  c ", "a b\n\nc"),
        ("x\x00y\n\x0bz", "xy\nz"),
    ],
)
def test_multi_line(value: str, expected: str) -> None:
    assert multi_line(value) == expected
