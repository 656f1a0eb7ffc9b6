"""Render a template once per variant with placeholder tokens, then fill in each email's values.

Emails of one type and language differ only in personal values (names, the note …). When a
template only prints those values or tests whether they are empty, its output for any email is
its output for the tokenised context with each token replaced by the value. That is checked on
the template's syntax tree; other templates are rendered for every email.
"""

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from markupsafe import escape

# Plain ASCII letters and digits, which Jinja, premailer and lxml pass through unchanged.
_MARK, _PROBE_MARK = "QXOUTREACH", "QYOUTREACH"
TOKEN = _MARK + "{:04d}QX"
TOKEN_TEXT = _MARK + r"\d{4}QX"  # a token in a regex, without a group
TOKEN_PATTERN = re.compile(_MARK + r"(\d{4})QX")
ANY_TOKEN = re.compile(_MARK, re.IGNORECASE)
_MAX_VARIANTS = 1024

# Statements whose effect on a value cannot be seen where the value is printed: other templates,
# macros, blocks (callable as self.name()), captured or filtered output, switched escaping.
_OPAQUE_STATEMENTS = (
    nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport, nodes.Macro, nodes.CallBlock,
    nodes.Block, nodes.AssignBlock, nodes.FilterBlock, nodes.EvalContextModifier,
)  # fmt: skip


@dataclass(frozen=True)
class Tokenised:
    """Personal values replaced by tokens: the values, the tokenised context and its variant key."""

    values: list[str]
    tokens: dict[str, Any]
    key: Hashable | None  # None when a value cannot be part of a key: render such emails in full

    @classmethod
    def of(cls, personal: Mapping[str, Any]) -> "Tokenised":
        """Tokenise every non-empty string (nested in dicts too); empty ones keep their place."""
        values: list[str] = []
        tokens, key = _tokenise(personal, values)
        try:
            hash(key)
        except TypeError:
            return cls(values, tokens, None)
        return cls(values, tokens, key)

    def adding(self, name: str, value: str) -> "Tokenised":
        """The same with one more top-level value."""
        token = TOKEN.format(len(self.values)) if value else ""
        return Tokenised(
            [*self.values, value], {**self.tokens, name: token}, _extended(self.key, name, token)
        )


def probe(tokens: Mapping[str, Any]) -> dict[str, Any]:
    """The same context with every token spelled differently (see shared_text_has_tokens)."""
    return {
        name: probe(value)
        if isinstance(value, Mapping)
        else value.replace(_MARK, _PROBE_MARK)
        if isinstance(value, str)
        else value
        for name, value in tokens.items()
    }


def shared_text_has_tokens(rendered_with_probe: str) -> bool:
    """True when token text appears with every personal value spelled as a probe token.

    Such text came from the template or the shared content (a signature, say), and filling in
    values would replace it: that variant is rendered for each email instead.
    """
    return ANY_TOKEN.search(rendered_with_probe) is not None


def _extended(key: Hashable | None, name: str, value: str) -> Hashable | None:
    return None if key is None else (key, name, value)


def _tokenise(
    values: Mapping[str, Any], collected: list[str]
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The tokenised mapping and its key; the originals are appended to `collected`.

    Every string takes a place in `collected`, empty ones too (they stay empty, untokenised):
    a value keeps its token number whichever others are empty, so variants that print the same
    values render the same skeleton.
    """
    result: dict[str, Any] = {}
    key: list[Any] = []
    for name, value in values.items():
        if type(value) is str:
            result[name] = token = TOKEN.format(len(collected)) if value else ""
            collected.append(value)
            key.append((name, token))
        elif isinstance(value, Mapping):
            result[name], inner = _tokenise(value, collected)
            key.append((name, inner))
        else:
            result[name] = value
            key.append((name, value))
    return result, tuple(key)


def fill(skeleton: str, values: Sequence[str], quote: Callable[[str], str] = str) -> str:
    """Put each value (quoted) in place of its token."""
    literals, indices = _pieces(skeleton)
    parts = [literals[0]]
    for index, literal in zip(indices, literals[1:], strict=True):
        parts.append(quote(values[index]))
        parts.append(literal)
    return "".join(parts)


@lru_cache(maxsize=_MAX_VARIANTS)
def _pieces(skeleton: str) -> tuple[list[str], list[int]]:
    """The text between the tokens, and the tokens' value indices (a skeleton is used often)."""
    split = TOKEN_PATTERN.split(skeleton)
    return split[0::2], [int(index) for index in split[1::2]]


def html_quote(value: str) -> str:
    """A value as Jinja's autoescape prints it."""
    return str(escape(value))


def prints_values_only(env: jinja2.Environment, name: str, personal: frozenset[str]) -> bool:
    """True when template `name` only prints the personal values or tests them for emptiness."""
    assert env.loader is not None
    source, _filename, _uptodate = env.loader.get_source(env, name)
    try:
        _visit(env.parse(source), personal, "")
    except _Unsafe:
        return False
    return True


class _Unsafe(Exception):
    """A personal value is used in a way the tokens cannot stand in for."""


def _visit(node: nodes.Node, personal: frozenset[str], place: str) -> None:
    """Walk the tree; `place` is "output" or "test" where a bare personal value is allowed."""
    if isinstance(node, _OPAQUE_STATEMENTS) or (isinstance(node, nodes.For) and node.recursive):
        raise _Unsafe  # (a recursive loop's loop(...) returns its rendered body)
    if _personal_value(node, personal):
        if place not in ("output", "test"):
            raise _Unsafe
        return
    if isinstance(node, nodes.Name) and node.name in personal:
        raise _Unsafe  # stored to, passed as a parameter, or `extra` used as a whole
    if isinstance(node, nodes.Output):
        for child in node.nodes:
            _visit(child, personal, "output")
        return
    if isinstance(node, nodes.If):
        _visit(node.test, personal, "test")
        for statement in (*node.body, *node.elif_, *node.else_):
            _visit(statement, personal, "")
        return
    if isinstance(node, nodes.Not | nodes.And | nodes.Or) and place == "test":
        for operand in node.iter_child_nodes():
            _visit(operand, personal, "test")
        return
    for inner in node.iter_child_nodes():
        _visit(inner, personal, "")


def _personal_value(node: nodes.Node, personal: frozenset[str]) -> bool:
    """`name` for a personal string, or `extra.key` / `extra["key"]` for a column's value."""
    if isinstance(node, nodes.Name):
        return node.ctx == "load" and node.name in personal and node.name != "extra"
    keyed = isinstance(node, nodes.Getattr) or (
        isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
    )
    target = getattr(node, "node", None)
    return (
        keyed and isinstance(target, nodes.Name) and target.name == "extra" and "extra" in personal
    )


class VariantCache:
    """Skeletons of one template by variant; `finish` turns a fresh skeleton into the cached one."""

    def __init__(self, finish: Callable[[str], str | None] = lambda skeleton: skeleton) -> None:
        self._finish = finish
        self._skeletons: dict[Hashable, str | None] = {}
        # Variants often render the same skeleton (a value the template never prints differs),
        # and finishing (premailer) is the slow part: once per distinct skeleton.
        self._finished: dict[str, str | None] = {}

    def skeleton(self, key: Hashable, render: Callable[[], str | None]) -> str | None:
        """The finished skeleton for `key`, rendered on first use; None if `render` gave none or
        a token was lost."""
        if key not in self._skeletons:
            if len(self._skeletons) >= _MAX_VARIANTS:
                self._skeletons.clear()
                self._finished.clear()
            rendered = render()
            if rendered is not None and rendered not in self._finished:
                self._finished[rendered] = _checked(rendered, self._finish)
            self._skeletons[key] = None if rendered is None else self._finished[rendered]
        return self._skeletons[key]


def _checked(skeleton: str, finish: Callable[[str], str | None]) -> str | None:
    """The finished skeleton, or None when a token was altered on the way."""
    if len(TOKEN_PATTERN.findall(skeleton)) != len(ANY_TOKEN.findall(skeleton)):
        return None
    finished = finish(skeleton)
    if finished is None or sorted(TOKEN_PATTERN.findall(finished)) != sorted(
        TOKEN_PATTERN.findall(skeleton)
    ):
        return None
    return finished
