"""Tests for the literals every regex match contains (the classifier's cheap pre-check)."""

import random
import re

import pytest

from outreach.classify.classifier import default_rules
from outreach.regex_literals import required_literals


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"zeitung", ("zeitung",)),
        (r"\bnewsletter (?:über|about)\b", ("newsletter ",)),
        (r"(?:wochen|tage)blatt", ("blatt",)),  # the longer run wins over the branch
        (r"(?:network|association) of experts", (" of experts",)),
        (r"\b(?:verband|verein) \w+", ("ver",)),  # the parser makes it ver(?:band|ein)
        (r"\b(?:zeitung|verband) \w+", ("verband", "zeitung")),
        (r"(?:in|across) \d+ (?:countries|ländern)", ("countries", "ländern")),
        (r"vertr(?:itt|eten)\b.{0,60}\binteressen", ("interessen",)),
        (r"(?:x+)yy", ("yy",)),
        (r"(?:abc)+", ("abc",)),
        (r"foo|foobar", ("foo",)),  # "foobar" contains "foo": checking "foo" is enough
    ],
)
def test_literals_of_a_pattern(pattern: str, expected: tuple[str, ...]) -> None:
    assert required_literals(re.compile(pattern)) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        r"\w+ gmbh|\d+",  # one branch has no literal
        r"(?:abc)?",  # may match without it
        r"(?:abc)*x?",
        r"[abc]+",
        r"(?i)zeitung",  # matched ignoring case: "ZEITUNG" would not contain "zeitung"
        r"(?i:zeitung)",
        r"a|",  # the empty branch matches anywhere
        r"",
    ],
)
def test_no_literals_when_a_match_may_lack_them(pattern: str) -> None:
    assert required_literals(re.compile(pattern)) is None


def test_every_shipped_regex_has_literals() -> None:
    regexes = [t for rules in default_rules().fields.values() for t in rules.regexes]
    assert regexes
    assert all(term.literals for term in regexes)


def _random_pattern(rng: random.Random, depth: int = 0) -> str:
    """A random regex over a small alphabet: literals, classes, groups, branches, repeats."""
    parts = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice("lllcgbr" if depth < 3 else "lllc")
        if kind == "l":
            parts.append("".join(rng.choice("abc ") for _ in range(rng.randint(1, 3))))
        elif kind == "c":
            parts.append(rng.choice([r"\w", r"\b", ".", "[ab]", r"\d", r"(?=a)", r"(?<!b)"]))
        elif kind == "g":
            parts.append(f"(?:{_random_pattern(rng, depth + 1)})")
        elif kind == "b":
            branches = [_random_pattern(rng, depth + 1) for _ in range(rng.randint(2, 3))]
            parts.append(f"(?:{'|'.join(branches)})")
        else:
            low = rng.randint(0, 2)
            repeat = rng.choice(["?", "*", "+", f"{{{low},{low + rng.randint(0, 2)}}}"])
            parts.append(f"(?:{_random_pattern(rng, depth + 1)}){repeat}")
    return "".join(parts)


def test_a_match_always_contains_a_literal() -> None:
    # The pre-check may only skip a search that would find nothing.
    rng = random.Random(20261127)
    checked = 0
    for _ in range(3000):
        pattern = re.compile(_random_pattern(rng))
        literals = required_literals(pattern)
        if literals is None:
            continue
        for _ in range(20):
            text = "".join(rng.choice("abc 1") for _ in range(rng.randint(0, 12)))
            if pattern.search(text):
                checked += 1
                assert any(literal in text for literal in literals), (pattern.pattern, text)
    assert checked > 2000
