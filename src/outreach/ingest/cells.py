"""Cleaning of cell text: one line, or many with their line breaks kept."""

import re

# C0 controls except TAB/LF/CR (handled below), DEL, C1 controls and Unicode line separators.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
WHITESPACE_RUN = re.compile(r"\s+")


def single_line(value: str) -> str:
    """Strip control characters and fold every whitespace run (CR and LF too) into one space."""
    return WHITESPACE_RUN.sub(" ", CONTROL.sub("", value)).strip()


def multi_line(value: str) -> str:
    """Strip control characters, normalise line ends and trim each line."""
    text = CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(lines).strip()
