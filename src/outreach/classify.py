"""Classify an organisation into a partner type, with evidence a volunteer can check.

The rules (terms per type and field, domains, weights) live in `data/classifier_rules.toml`;
a campaign lead adds to them with `outreach-rules.toml`. Every hit scores its weight times the
weight of the field it was found in; a rule counts once per row. The confidence is the strength
of the best type's evidence times its share against the runner-up.
"""

import math
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from .errors import ContentError
from .models import Classification, Contact
from .orgtypes import GENERAL, ORG_TYPES

#: Below this confidence the type becomes "general" and the draft is flagged for review.
REVIEW_THRESHOLD: Final = 0.5
#: The file in the working directory whose rules are added to the shipped ones.
USER_RULES_FILE: Final = "outreach-rules.toml"
#: The fields a term can be limited to with `in = [...]`.
FIELDS: Final = ("name", "contact", "title", "description", "mailbox")

_DEFAULT_SCOPE: Final = ("name", "contact", "title", "description")
_FIELD_LABELS: Final = {"mailbox": "email"}
# A score of about this size is solid evidence: strength = 1 - exp(-score / _SATURATION).
_SATURATION: Final = 2.0
_MAX_EVIDENCE: Final = 6
_MAX_WEIGHT: Final = 10.0
_SEPARATORS: Final = ("-", "–", "—", "_", "/", "\\", "\n", "\t")
_SUBDOMAINS: Final = r"(?:.*\.)?"
_DOMAIN_SYNTAX: Final = re.compile(r"[\w*-]+(?:\.[\w*-]+)*\.?(?:/\S*)?")
_NAME_WORD: Final = re.compile(r"[^\W\d_]{4,}")
_HONORIFICS: Final = frozenset({"herr", "frau", "prof", "dipl", "miss"})
_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True, slots=True)
class _Term:
    """A term as it applies in one field: its type, word boundaries and field-scaled weight."""

    type: str
    stem: str  # the normalised term, or the source of a regex term
    open_left: bool
    open_right: bool
    weight: float
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class _Domain:
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
class _Field:
    """The compiled terms of one field: a scanner over all its terms, and its regexes."""

    scanner: re.Pattern[str]
    terms: Mapping[str, tuple[_Term, ...]]
    regexes: tuple[_Term, ...]


@dataclass(frozen=True, eq=False)
class Rules:
    """Compiled classifier rules: build once with load_rules() and reuse for every row."""

    fields: Mapping[str, _Field]
    domains: Mapping[str, tuple[_Domain, ...]]
    domain_patterns: tuple[_Domain, ...]
    any_pattern: re.Pattern[str]
    own_website: float


def load_rules(extra: Path | None = None) -> Rules:
    """Compile the shipped rules plus, if given, a user file that adds terms and domains."""
    shipped = "classifier_rules.toml (shipped)"
    resource = files("outreach") / "data" / "classifier_rules.toml"
    data = _parse_toml(resource.read_text(encoding="utf-8"), shipped)
    weights = _weights(data.pop("weights", None), shipped)
    specs = _specs(data, shipped, weights)
    if extra is not None:
        try:
            text = extra.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentError(f"{extra}: cannot read rules file: {exc}") from None
        specs += _specs(_parse_toml(text, str(extra)), str(extra), weights)
    return _compile(specs, weights)


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
    domains: dict[str, list[_Domain]] = {}
    patterns: list[_Domain] = []
    globs: list[str] = []
    for spec in (spec for spec in specs if spec.kind == "domain"):
        host, _, path = spec.text.partition("/")
        if "*" in host or path:
            globs.append(re.escape(host).replace(r"\*", r"[\w.-]*"))
            glob = re.compile(_SUBDOMAINS + globs[-1])
            patterns.append(_Domain(spec.type, glob, f"/{path}" if path else "", spec.weight))
        else:
            domains.setdefault(host, []).append(_Domain(spec.type, None, "", spec.weight))
    return Rules(
        fields=MappingProxyType({f: _compile_field(f, specs, weights) for f in FIELDS}),
        domains=MappingProxyType({host: tuple(found) for host, found in domains.items()}),
        domain_patterns=tuple(patterns),
        any_pattern=re.compile("|".join(f"{_SUBDOMAINS}(?:{glob})" for glob in globs) or "(?!)"),
        own_website=weights["own_website"],
    )


def _compile_field(field: str, specs: list[_Spec], weights: Mapping[str, float]) -> _Field:
    """The terms that apply in one field, with their weights scaled by the field's."""
    terms: dict[str, list[_Term]] = {}
    regexes: list[_Term] = []
    for spec in (spec for spec in specs if field in spec.fields):
        weight = spec.weight * weights[f"field:{field}"]
        if spec.kind == "regex":
            regexes.append(_Term(spec.type, spec.text, True, True, weight, re.compile(spec.text)))
            continue
        text, stem = spec.text, _stem(spec.text)
        term = _Term(spec.type, stem, text.startswith("*"), text.endswith("*"), weight)
        terms.setdefault(stem, []).append(term)
    return _Field(
        scanner=_scanner(terms),
        terms=MappingProxyType({stem: tuple(found) for stem, found in terms.items()}),
        regexes=tuple(regexes),
    )


def _stem(term: str) -> str:
    """A term without its wildcards, normalised like the text it is matched against."""
    return " ".join(_normalise(term.strip("*")).split())


def _normalise(text: str) -> str:
    """Lower case with hyphens, slashes and line breaks as spaces; every index stays in place."""
    text = text.lower()
    for separator in _SEPARATORS:
        text = text.replace(separator, " ")
    return text


def _scanner(table: Mapping[str, list[_Term]]) -> re.Pattern[str]:
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


# (type, rule key) -> (score, evidence); a rule counts once per row, with its strongest hit.
_Hits = dict[tuple[str, str], tuple[float, str]]


def classify(contact: Contact, rules: Rules | None = None) -> Classification:
    """Classify one contact: the type column if given, else the strongest evidence."""
    if contact.type:
        review = contact.type == GENERAL
        return Classification(
            type=contact.type,
            confidence=1.0,
            evidence=("type column",),
            needs_review=review,
            source="column",
        )
    hits = _collect(contact, rules or default_rules())
    scores = dict.fromkeys(ORG_TYPES, 0.0)
    for (type_key, _), (score, _) in hits.items():
        scores[type_key] += score
    best, confidence = _decide(scores)
    evidence: tuple[str, ...] = _evidence(hits, best)
    if confidence >= REVIEW_THRESHOLD:
        return Classification(type=best, confidence=confidence, evidence=evidence)
    if hits:
        evidence += (f"best guess {best} ({confidence:.2f}), below threshold",)
    else:
        evidence = ("no signals found",)
    return Classification(type=GENERAL, confidence=confidence, evidence=evidence, needs_review=True)


def _collect(contact: Contact, rules: Rules) -> _Hits:
    """Find every term, domain and own-website signal of a contact."""
    hits: _Hits = {}
    mailbox, _, email_host = contact.email.rpartition("@")
    fields = {
        "name": contact.organisation,
        "contact": contact.contact_name,
        "title": contact.title,
        "description": contact.description,
        "mailbox": mailbox,
    }
    for field, text in fields.items():
        label = _FIELD_LABELS.get(field, field)
        for key, weight, words in _scan(text, field, rules) if text else ():
            _add(hits, key, weight, f"{label}: '{words}' → {key[0]}")
    unknown_hosts = []
    for host, path in ((email_host.lower(), None), _split_url(contact.website)):
        found = list(_domain_hits(host, path, rules))
        for domain, shown in found:
            _add(hits, (domain.type, "domain"), domain.weight, f"{shown} → {domain.type}")
        if not found:
            unknown_hosts.append(host)
    if site := _own_website(contact, unknown_hosts):
        evidence = f"own website {site}, no organisation → public_intellectual"
        _add(hits, ("public_intellectual", "own website"), rules.own_website, evidence)
    return hits


def _add(hits: _Hits, key: tuple[str, str], weight: float, evidence: str) -> None:
    """Record a hit, keeping the strongest one per rule."""
    if key not in hits or hits[key][0] < weight:
        hits[key] = (weight, evidence)


def _scan(text: str, field: str, rules: Rules) -> Iterator[tuple[tuple[str, str], float, str]]:
    """Yield (type, rule key), weight and the words matched, for each term found in a field."""
    low = _normalise(text)
    shown = text if len(low) == len(text) else low
    compiled = rules.fields[field]
    for match in compiled.scanner.finditer(low):
        start, end = match.span()
        left_inside = start > 0 and low[start - 1].isalnum()
        right_inside = end < len(low) and low[end].isalnum()
        words = _whole_words(shown, low, start, end)
        for term in compiled.terms[low[start:end]]:
            if (term.open_left or not left_inside) and (term.open_right or not right_inside):
                yield (term.type, term.stem), term.weight, words
    for term in compiled.regexes:
        if term.regex and (found := term.regex.search(low)):
            words = shown[found.start() : found.end()].strip()[:60]
            yield (term.type, term.stem), term.weight, words


def _whole_words(shown: str, low: str, start: int, end: int) -> str:
    """Widen a match to whole words, so compounds show in full ('Tageszeitung')."""
    while start > 0 and low[start - 1].isalnum():
        start -= 1
    while end < len(low) and low[end].isalnum():
        end += 1
    return shown[start:end]


def _split_url(url: str) -> tuple[str, str]:
    """Host (lower case) and path of a website, tolerating a missing scheme and junk."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        return (parts.hostname or "").rstrip("."), parts.path.lower()
    except ValueError:
        return "", ""


def _domain_hits(host: str, path: str | None, rules: Rules) -> Iterator[tuple[_Domain, str]]:
    """Yield the domain rules matching an email domain (path None) or a website."""
    if not host:
        return
    bare = host.removeprefix("www.")
    labels = host.split(".")
    for index in range(len(labels)):
        for domain in rules.domains.get(".".join(labels[index:]), ()):
            yield domain, f"domain {bare}"
    if not rules.any_pattern.fullmatch(host):
        return
    for domain in rules.domain_patterns:
        if domain.path and (path is None or not path.startswith(domain.path)):
            continue
        if domain.host is not None and domain.host.fullmatch(host):
            page = f"website {bare}{(path or '').rstrip('/')}"
            yield domain, page if domain.path else f"domain {bare}"


def _own_website(contact: Contact, hosts: list[str]) -> str:
    """The host (not a known institution or platform) that carries an individual's name."""
    if contact.organisation or not contact.contact_name:
        return ""
    words = {word.lower() for word in _NAME_WORD.findall(contact.contact_name)} - _HONORIFICS
    names = words | {word.translate(_UMLAUTS) for word in words} | {_ascii(word) for word in words}
    for host in hosts:
        bare = host.removeprefix("www.")
        if any(name in bare.rpartition(".")[0] for name in names):
            return bare
    return ""


def _ascii(word: str) -> str:
    """A name without accents, as domains often spell it ('josé' → jose)."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")


def _decide(scores: Mapping[str, float]) -> tuple[str, float]:
    """The best type and a confidence: evidence strength times its share against the runner-up."""
    ranked = sorted(scores, key=lambda key: -scores[key])
    top, second = scores[ranked[0]], scores[ranked[1]]
    if top <= 0:
        return GENERAL, 0.0
    strength = 1.0 - math.exp(-top / _SATURATION)
    return ranked[0], round(strength * top / (top + second), 2)


def _evidence(hits: _Hits, best: str) -> tuple[str, ...]:
    """The strongest hits, those for the chosen type first, without repeats."""
    ordered = sorted(hits.items(), key=lambda item: (item[0][0] != best, -item[1][0]))
    return tuple(dict.fromkeys(text for _, (_, text) in ordered))[:_MAX_EVIDENCE]
