"""Strings that every match of a regular expression contains: a cheap test before a search.

A regex rule only matters where it matches, and most text holds none of the words a rule is
built on; `"word" in text` is many times cheaper than a search that tries every position.
"""

import importlib
import re
from collections.abc import Iterable
from typing import Any

try:  # CPython's own regex parser; elsewhere there is no shortcut, every regex is searched
    _PARSER: Any = importlib.import_module("re._parser")
    _OPS: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other Pythons
    _PARSER = _OPS = None

_Found = frozenset[str] | None
# Literals this long or longer are selective enough; past that, fewer of them is better.
_SELECTIVE = 8


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings of which every match contains at least one, or None when none can be told."""
    if _PARSER is None or pattern.flags & re.IGNORECASE:
        return None
    try:
        found = _sequence(_PARSER.parse(pattern.pattern, pattern.flags))
    except (AttributeError, TypeError, ValueError, IndexError, re.error):  # another CPython
        return None
    if not found:
        return None
    # A literal containing another one is implied by it: checking the shorter one is enough.
    return tuple(sorted(x for x in found if not any(y != x and y in x for y in found)))


def _sequence(items: Iterable[tuple[Any, Any]]) -> _Found:
    """The best set for items matched one after the other: a run of literal characters or an
    item's own set, whichever is most selective."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, argument in items:
        if op is _OPS.LITERAL:
            run.append(chr(argument))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        if (found := _item(op, argument)) is not None:
            candidates.append(found)
    if run:
        candidates.append(frozenset({"".join(run)}))
    return max(candidates, key=_selectivity, default=None)


def _item(op: Any, argument: Any) -> _Found:
    """The set for one parsed item; None for anything that may match without a literal."""
    if op is _OPS.BRANCH:
        branches = [_sequence(branch) for branch in argument[1]]
        if any(found is None for found in branches):
            return None
        return frozenset().union(*(found for found in branches if found is not None))
    if op is _OPS.SUBPATTERN:
        _group, add_flags, _del_flags, inner = argument
        return None if add_flags & re.IGNORECASE else _sequence(inner)
    if op in (_OPS.MAX_REPEAT, _OPS.MIN_REPEAT, getattr(_OPS, "POSSESSIVE_REPEAT", None)):
        minimum, _maximum, inner = argument
        return _sequence(inner) if minimum >= 1 else None
    if op is getattr(_OPS, "ATOMIC_GROUP", None):
        return _sequence(argument)
    return None


def _selectivity(found: frozenset[str]) -> tuple[int, int]:
    return min(min(map(len, found)), _SELECTIVE), -len(found)
