"""Load, validate and compile the classifier's rules (shipped TOML plus a user's file)."""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from outreach.classify.orgtypes import ORG_TYPES
from outreach.errors import ContentError

#: The file in the working directory whose rules are added to the shipped ones.
USER_RULES_FILE: Final = "outreach-rules.toml"
#: The fields a term can be limited to with `in = [...]`.
FIELDS: Final = ("name", "contact", "title", "description", "mailbox")

_DEFAULT_SCOPE: Final = ("name", "contact", "title", "description")
_MAX_WEIGHT: Final = 10.0
_SEPARATORS: Final = ("-", "–", "—", "_", "/", "\\", "\n", "\t")
_SUBDOMAINS: Final = r"(?:.*\.)?"
_DOMAIN_SYNTAX: Final = re.compile(r"[\w*-]+(?:\.[\w*-]+)*\.?(?:/\S*)?")


@dataclass(frozen=True, slots=True)
class Term:
    """A term as it applies in one field: its type, word boundaries and field-scaled weight."""

    type: str
    stem: str  # the normalised term, or the source of a regex term
    open_left: bool
    open_right: bool
    weight: float
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class DomainRule:
    """A domain rule; `host` is None when a suffix lookup is enough."""

    type: str
    host: re.Pattern[str] | None
    path: str
    weight: float


@dataclass(frozen=True, slots=True)
class _Spec:
    """One validated entry of a rules file, before compilation."""

    type: str
    kind: str  # "term", "regex" or "domain"
    text: str
    weight: float
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldRules:
    """The compiled terms of one field: a scanner over all its terms, and its regexes."""

    scanner: re.Pattern[str]
    terms: Mapping[str, tuple[Term, ...]]
    regexes: tuple[Term, ...]
    #: Matches where any of the regexes would (None: try each), so most rows need one search.
    any_regex: re.Pattern[str] | None = None


@dataclass(frozen=True, eq=False)
class Rules:
    """Compiled classifier rules: build once with load_rules() and reuse for every row."""

    fields: Mapping[str, FieldRules]
    domains: Mapping[str, tuple[DomainRule, ...]]
    domain_patterns: tuple[DomainRule, ...]
    any_pattern: re.Pattern[str]
    own_website: float
    #: A campaign lead's own rules: when one of them matches, it decides over the model.
    user: "Rules | None" = None


def load_rules(extra: Path | None = None) -> Rules:
    """Compile the shipped rules plus, if given, a user file that adds terms and domains."""
    shipped = "classifier_rules.toml (shipped)"
    resource = files("outreach") / "data" / "classifier_rules.toml"
    data = _parse_toml(resource.read_text(encoding="utf-8"), shipped)
    weights = _weights(data.pop("weights", None), shipped)
    rules = _compile(_specs(data, shipped, weights), weights)
    if extra is None:
        return rules
    try:
        text = extra.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{extra}: cannot read rules file: {exc}") from None
    user = _compile(_specs(_parse_toml(text, str(extra)), str(extra), weights), weights)
    return replace(rules, user=replace(user, own_website=0.0))


@cache
def default_rules() -> Rules:
    """The shipped rules, compiled once."""
    return load_rules()


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML, turning a syntax error into a one-line ContentError."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{source}: not valid TOML: {exc}") from None


def _weights(table: Any, source: str) -> dict[str, float]:
    """Read the [weights] table of the shipped rules."""
    if not isinstance(table, dict) or not isinstance(table.get("fields"), dict):
        raise ContentError(f"{source}: needs [weights] with a [weights.fields] table")
    weights = {
        f"field:{field}": _weight(table["fields"].get(field), f"{source}: [weights.fields] {field}")
        for field in FIELDS
    }
    for key in ("term", "domain", "own_website"):
        weights[key] = _weight(table.get(key), f"{source}: [weights] {key}")
    return weights


def _weight(value: Any, where: str) -> float:
    """Check that a weight is a number in (0, 10]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContentError(f"{where}: weight must be a number, got {value!r}")
    if not 0 < value <= _MAX_WEIGHT:
        raise ContentError(f"{where}: weight must be above 0 and at most 10, got {value!r}")
    return float(value)


def _specs(data: dict[str, Any], source: str, weights: Mapping[str, float]) -> list[_Spec]:
    """Validate every type table of a rules file."""
    specs: list[_Spec] = []
    for type_key, table in data.items():
        if type_key not in ORG_TYPES:
            raise ContentError(f"{source}: [{type_key}]: unknown type; use {', '.join(ORG_TYPES)}")
        if not isinstance(table, dict):
            raise ContentError(f"{source}: [{type_key}]: must be a table of terms and domains")
        for key, entries in table.items():
            where = f"{source}: [{type_key}] {key}"
            if key not in ("terms", "domains"):
                raise ContentError(f"{where}: unknown key; use terms or domains")
            if not isinstance(entries, list):
                raise ContentError(f"{where}: must be a list, got {entries!r}")
            for index, entry in enumerate(entries):
                specs += _entry(entry, type_key, key[:-1], f"{where}[{index}]", weights)
    return specs


def _entry(
    entry: Any, type_key: str, kind: str, where: str, weights: Mapping[str, float]
) -> list[_Spec]:
    """Validate one entry of a terms or domains list; `kind` is "term" or "domain"."""
    if not isinstance(entry, dict):
        entry = {kind: entry}
    texts = (kind, f"{kind}s", "regex") if kind == "term" else (kind, f"{kind}s")
    allowed = {*texts, "weight", *(("in",) if kind == "term" else ())}
    if unknown := sorted(set(entry) - allowed):
        raise ContentError(f"{where}: unknown key {unknown[0]!r}; use {', '.join(sorted(allowed))}")
    given = [key for key in texts if key in entry]
    if len(given) != 1:
        raise ContentError(f"{where}: give exactly one of {', '.join(texts)}")
    values = entry[given[0]] if given[0] == f"{kind}s" else [entry[given[0]]]
    if not isinstance(values, list) or not values:
        raise ContentError(f"{where}: {given[0]} must be a non-empty list of strings")
    weight = _weight(entry["weight"], where) if "weight" in entry else weights[kind]
    fields = _scope(entry.get("in", list(_DEFAULT_SCOPE)), where) if kind == "term" else ()
    spec_kind = "regex" if given[0] == "regex" else kind
    return [_Spec(type_key, spec_kind, _text(v, spec_kind, where), weight, fields) for v in values]


def _scope(value: Any, where: str) -> tuple[str, ...]:
    """Validate the `in` list of fields."""
    if not isinstance(value, list) or not value or not all(isinstance(f, str) for f in value):
        raise ContentError(f"{where}: in must be a non-empty list of {', '.join(FIELDS)}")
    if unknown := [field for field in value if field not in FIELDS]:
        raise ContentError(f"{where}: unknown field {unknown[0]!r}; use {', '.join(FIELDS)}")
    return tuple(dict.fromkeys(value))


def _text(value: Any, kind: str, where: str) -> str:
    """Validate a term, regex or domain and return it in lower case."""
    if not isinstance(value, str):
        raise ContentError(f"{where}: {kind} must be a string, got {value!r}")
    if kind == "regex":
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ContentError(f"{where}: regex {value!r} is not valid: {exc}") from None
        if pattern.search(""):
            raise ContentError(f"{where}: regex {value!r} matches empty text")
        return value
    text = value.strip().lower()
    if kind == "domain":
        if not _DOMAIN_SYNTAX.fullmatch(text) or sum(c.isalnum() for c in text) < 2:
            raise ContentError(f"{where}: {value!r} is not a domain like example.org or uni-*.de")
        return text.rstrip(".")
    if "*" in _stem(text) or sum(c.isalnum() for c in text) < 2:
        raise ContentError(f"{where}: term {value!r} needs two letters and '*' only at its ends")
    return text


def _compile(specs: list[_Spec], weights: Mapping[str, float]) -> Rules:
    """Turn validated entries into lookup tables and scanning regexes."""
    domains: dict[str, list[DomainRule]] = {}
    patterns: list[DomainRule] = []
    globs: list[str] = []
    for spec in (spec for spec in specs if spec.kind == "domain"):
        host, _, path = spec.text.partition("/")
        if "*" in host or path:
            globs.append(re.escape(host).replace(r"\*", r"[\w.-]*"))
            glob = re.compile(_SUBDOMAINS + globs[-1])
            patterns.append(DomainRule(spec.type, glob, f"/{path}" if path else "", spec.weight))
        else:
            domains.setdefault(host, []).append(DomainRule(spec.type, None, "", spec.weight))
    return Rules(
        fields=MappingProxyType({f: _compile_field(f, specs, weights) for f in FIELDS}),
        domains=MappingProxyType({host: tuple(found) for host, found in domains.items()}),
        domain_patterns=tuple(patterns),
        any_pattern=re.compile("|".join(f"{_SUBDOMAINS}(?:{glob})" for glob in globs) or "(?!)"),
        own_website=weights["own_website"],
    )


def _compile_field(field: str, specs: list[_Spec], weights: Mapping[str, float]) -> FieldRules:
    """The terms that apply in one field, with their weights scaled by the field's."""
    terms: dict[str, list[Term]] = {}
    regexes: list[Term] = []
    for spec in (spec for spec in specs if field in spec.fields):
        weight = spec.weight * weights[f"field:{field}"]
        if spec.kind == "regex":
            regexes.append(Term(spec.type, spec.text, True, True, weight, re.compile(spec.text)))
            continue
        text, stem = spec.text, _stem(spec.text)
        term = Term(spec.type, stem, text.startswith("*"), text.endswith("*"), weight)
        terms.setdefault(stem, []).append(term)
    return FieldRules(
        scanner=_scanner(terms),
        terms=MappingProxyType({stem: tuple(found) for stem, found in terms.items()}),
        regexes=tuple(regexes),
        any_regex=_any_regex(regexes),
    )


def _any_regex(regexes: list[Term]) -> re.Pattern[str] | None:
    """One regex that matches where any of the given ones does, if they can be joined."""
    try:
        return re.compile("|".join(f"(?:{term.stem})" for term in regexes) or "(?!)")
    except re.error:
        return None  # e.g. a user's regex with inline flags, which must stay at its own start


def _stem(term: str) -> str:
    """A term without its wildcards, normalised like the text it is matched against."""
    return " ".join(normalise(term.strip("*")).split())


def normalise(text: str) -> str:
    """Lower case with hyphens, slashes and line breaks as spaces; every index stays in place."""
    text = text.lower()
    for separator in _SEPARATORS:
        text = text.replace(separator, " ")
    return text


def _scanner(table: Mapping[str, list[Term]]) -> re.Pattern[str]:
    """One regex finding, at each place, the longest term that fits its word boundaries.

    Terms are laid out as tries, so a place costs a few character tests however many terms there
    are; at a word start any term may begin, inside a word only those with a leading '*'.
    """
    anywhere = {stem: any(t.open_right for t in terms) for stem, terms in table.items()}
    inside = {
        stem: any(t.open_right for t in terms if t.open_left)
        for stem, terms in table.items()
        if any(t.open_left for t in terms)
    }
    return re.compile(rf"(?<!\w){_trie(anywhere)}|(?<=\w){_trie(inside)}")


def _trie(stems: Mapping[str, bool]) -> str:
    """Regex source of a trie of stems; a stem not marked open must end at a word boundary."""
    root: dict[str, Any] = {}
    for stem, open_right in stems.items():
        node = root
        for char in stem:
            node = node.setdefault(char, {})
        node[""] = open_right
    return _node(root) if root else "(?!)"


def _node(node: dict[str, Any]) -> str:
    """Regex source of one trie node: longer stems first, then the end of this one."""
    branches = [re.escape(char) + _node(child) for char, child in sorted(node.items()) if char]
    if "" in node:
        branches.append("" if node[""] else r"(?!\w)")
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
