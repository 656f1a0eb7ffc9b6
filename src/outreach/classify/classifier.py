"""Classify an organisation into a partner type, with evidence a volunteer can check.

The rules (terms per type and field, domains, weights) live in `data/classifier_rules.toml`;
a campaign lead adds to them with `outreach-rules.toml` (see `classifier_rules`). Every hit
scores its weight times the weight of the field it was found in; a rule counts once per row.
The confidence is the strength of the best type's evidence times its share against the
runner-up, whose first point of evidence is ignored: one incidental weak word ("e.V.", "global")
should not hold back an unambiguous strong signal, while real conflicting evidence still does.
`classify_with_model` instead lets the learned model (`model`, `features`) decide, with the
rules' scores among its features; a user's rule and the type column still win.
"""

import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Final
from urllib.parse import urlsplit

from outreach.classify.features import describe, features
from outreach.classify.model import Model, default_model
from outreach.classify.orgtypes import GENERAL, ORG_TYPES, TYPE_LABELS
from outreach.classify.rules import (
    USER_RULES_FILE,
    DomainRule,
    Rules,
    default_rules,
    load_rules,
    normalise,
)
from outreach.models import Classification, Contact

__all__ = [
    "REVIEW_THRESHOLD",
    "USER_RULES_FILE",
    "Rules",
    "classify",
    "classify_with_model",
    "default_rules",
    "load_rules",
]

#: Below this confidence the type becomes "general" and the draft is flagged for review.
REVIEW_THRESHOLD: Final = 0.5
_FIELD_LABELS: Final = {"mailbox": "email"}
# A score of about this size is solid evidence: strength = 1 - exp(-score / _SATURATION).
_SATURATION: Final = 2.0
# Runner-up evidence up to this score is noise (one weak word); only the rest dilutes the share.
_NOISE: Final = 1.0
_MAX_EVIDENCE: Final = 6
_MAX_REASONS: Final = 4
_NAME_WORD: Final = re.compile(r"[^\W\d_]{4,}")
_HONORIFICS: Final = frozenset({"herr", "frau", "prof", "dipl", "miss"})
_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_ACADEMIC: Final = "academic"
_RESEARCH: Final = "research_group"

# (type, rule key) -> (score, evidence); a rule counts once per row, with its strongest hit.
_Hits = dict[tuple[str, str], tuple[float, str]]


def classify_with_model(
    contact: Contact, rules: Rules | None = None, model: Model | None = None
) -> Classification:
    """Classify one contact: the type column, else a user's rule, else the learned model."""
    if contact.type:
        return _from_column(contact)
    rules = rules or default_rules()
    if rules.user is not None and (hits := _collect(contact, rules.user)):
        found = _by_rules(hits, source=USER_RULES_FILE)
        if found.type != GENERAL:
            return found.model_copy(update={"evidence": (USER_RULES_FILE, *found.evidence)})
    model = model or default_model()
    hits = _collect(contact, rules)
    values = features(contact, _type_scores(hits))
    chances = model.probabilities(values)
    best = max(range(len(chances)), key=chances.__getitem__)
    type_key, confidence = model.classes[best], round(chances[best], 2)
    evidence = _reasons(model, values, best, hits)
    if type_key != GENERAL and confidence >= model.threshold:
        return Classification(type=type_key, confidence=confidence, evidence=evidence)
    if type_key != GENERAL:
        evidence += (f"best guess {type_key} ({confidence:.2f}), below threshold",)
    return Classification(
        type=GENERAL,
        confidence=confidence,
        evidence=evidence or ("no signals found",),
        needs_review=True,
    )


def classify(contact: Contact, rules: Rules | None = None) -> Classification:
    """Classify one contact: the type column, else the hand-written rules (and the user's)."""
    if contact.type:
        return _from_column(contact)
    rules = rules or default_rules()
    hits = _collect(contact, rules)
    if rules.user is not None:
        hits |= _collect(contact, rules.user)
    return _by_rules(hits, source="classifier")


def rule_scores(contact: Contact, rules: Rules | None = None) -> dict[str, float]:
    """The summed score of the shipped rules per type, as the model sees them."""
    return _type_scores(_collect(contact, rules or default_rules()))


def _from_column(contact: Contact) -> Classification:
    """The type a campaign lead wrote in the type column."""
    return Classification(
        type=contact.type,
        confidence=1.0,
        evidence=("type column",),
        needs_review=contact.type == GENERAL,
        source="column",
    )


def _by_rules(hits: _Hits, source: str) -> Classification:
    """The type with the strongest rule evidence, or general below the threshold."""
    best, confidence = _decide(_type_scores(hits))
    evidence: tuple[str, ...] = _evidence(hits, best)
    if confidence >= REVIEW_THRESHOLD:
        return Classification(type=best, confidence=confidence, evidence=evidence, source=source)
    if hits:
        evidence += (f"best guess {best} ({confidence:.2f}), below threshold",)
    else:
        evidence = ("no signals found",)
    return Classification(type=GENERAL, confidence=confidence, evidence=evidence, needs_review=True)


def _type_scores(hits: _Hits) -> dict[str, float]:
    """The summed score per type of a row's rule hits."""
    scores = dict.fromkeys(ORG_TYPES, 0.0)
    for (type_key, _), (score, _) in hits.items():
        scores[type_key] += score
    return scores


def _reasons(model: Model, values: dict[str, float], best: int, hits: _Hits) -> tuple[str, ...]:
    """The features that weighed most for the chosen class, in words."""
    type_key = model.classes[best]
    label = type_words(type_key)
    shown: list[str] = []
    for _, feature in model.reasons(values, best)[:_MAX_REASONS]:
        if feature.startswith("rule:"):
            rule_type = feature.removeprefix("rule:")
            shown += [text for (kind, _), (_, text) in hits.items() if kind == rule_type][:2]
        else:
            shown.append(f"{describe(feature)} → {label}")
    return tuple(dict.fromkeys(shown))[:_MAX_EVIDENCE]


def type_words(type_key: str) -> str:
    """A type key as evidence names it: 'research group', 'none of the eleven types'."""
    if type_key == GENERAL:
        return "none of the eleven types"
    return TYPE_LABELS[type_key][1].lower()


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
    name_types: set[str] = set()
    for field, text in fields.items():
        label = _FIELD_LABELS.get(field, field)
        for key, weight, words in _scan(text, field, rules) if text else ():
            _add(hits, key, weight, f"{label}: '{words}' → {key[0]}")
            if field == "name":
                name_types.add(key[0])
    # A university's domain on an institute, centre or lab that does not call itself a
    # university is the address of a research unit, not of an individual academic.
    unit = _RESEARCH in name_types and _ACADEMIC not in name_types
    unknown_hosts = []
    for host, path in ((email_host.lower(), None), _split_url(contact.website)):
        found = list(_domain_hits(host, path, rules))
        for domain, shown in found:
            kind = _RESEARCH if unit and domain.type == _ACADEMIC else domain.type
            _add(hits, (kind, "domain"), domain.weight, f"{shown} → {kind}")
        if not found:
            unknown_hosts.append(host)
    if rules.own_website > 0 and (site := _own_website(contact, unknown_hosts)):
        evidence = f"own website {site}, no organisation → public_intellectual"
        _add(hits, ("public_intellectual", "own website"), rules.own_website, evidence)
    return hits


def _add(hits: _Hits, key: tuple[str, str], weight: float, evidence: str) -> None:
    """Record a hit, keeping the strongest one per rule."""
    if key not in hits or hits[key][0] < weight:
        hits[key] = (weight, evidence)


def _scan(text: str, field: str, rules: Rules) -> Iterator[tuple[tuple[str, str], float, str]]:
    """Yield (type, rule key), weight and the words matched, for each term found in a field."""
    low = normalise(text)
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
    if compiled.any_regex is not None and not compiled.any_regex.search(low):
        return
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


def _domain_hits(host: str, path: str | None, rules: Rules) -> Iterator[tuple[DomainRule, str]]:
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
    """The best type and a confidence: evidence strength times its share against the runner-up.

    With saturation 2 and threshold 0.5, one strong term (weight 4) even in the description
    passes alone or beside a weak word, two strong terms for different types do not (0.49).
    """
    ranked = sorted(scores, key=lambda key: -scores[key])
    top, second = scores[ranked[0]], scores[ranked[1]]
    if top <= 0:
        return GENERAL, 0.0
    strength = 1.0 - math.exp(-top / _SATURATION)
    return ranked[0], round(strength * top / (top + max(second - _NOISE, 0.0)), 2)


def _evidence(hits: _Hits, best: str) -> tuple[str, ...]:
    """The strongest hits, those for the chosen type first, without repeats."""
    ordered = sorted(hits.items(), key=lambda item: (item[0][0] != best, -item[1][0]))
    return tuple(dict.fromkeys(text for _, (_, text) in ordered))[:_MAX_EVIDENCE]
