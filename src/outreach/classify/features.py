"""Turn a contact into the named features the type model weighs: words, endings, address parts.

A feature is a short string that says where it was seen ("name:end:institut", "host:gv.at",
"mailbox:redaktion") so that `describe` can put the ones that weighed most into words.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Final
from urllib.parse import urlsplit

from outreach.models import Contact

#: Word endings of these lengths are features, so "Tageszeitung" teaches "-zeitung".
ENDINGS: Final = (4, 5, 6, 7, 8)
#: A rule score of this size (one strong term in the name) becomes a feature value of 1.
RULE_SCALE: Final = 5.0
_MISSING: Final = {"name": "organisation name", "contact": "contact name"}
_WORD: Final = re.compile(r"[^\W\d_]{2,}")
_STOP_WORDS: Final = frozenset(
    "der die das und für fur von vom zum zur des den dem ein eine im in am an auf mit bei "
    "the of and for on in at to a an by with de du la le et".split()
)
# Hosts that say nothing about the organisation behind an address or a profile.
_SERVICE_LABELS: Final = frozenset({"www", "mail", "email", "web", "en", "de", "m"})


def features(contact: Contact, rule_scores: Mapping[str, float]) -> dict[str, float]:
    """The named features of one contact with their values: 1, or a rule score scaled down."""
    found: dict[str, float] = {
        f"rule:{type_key}": min(score / RULE_SCALE, 2.0)
        for type_key, score in rule_scores.items()
        if score > 0
    }
    texts = {
        "name": contact.organisation,
        "contact": contact.contact_name,
        "title": contact.title,
        "description": contact.description,
    }
    for field, text in texts.items():
        if not text:
            found[f"no:{field}"] = 1.0
            continue
        for word in _WORD.findall(text.lower()):
            if word in _STOP_WORDS:
                continue
            found[f"{field}:{word}"] = 1.0
            for size in ENDINGS:
                if len(word) > size:
                    found[f"{field}:end:{word[-size:]}"] = 1.0
    mailbox, _, email_host = contact.email.lower().rpartition("@")
    for part in _mailbox_parts(mailbox):
        found[part] = 1.0
    for host in dict.fromkeys((email_host, url_host(contact.website))):
        for part in host_parts(host):
            found[part] = 1.0
    if not contact.website:
        found["no:website"] = 1.0
    if contact.country:
        found[f"country:{contact.country.lower()[:12]}"] = 1.0
    return found


def _mailbox_parts(mailbox: str) -> Iterator[str]:
    """The words of a mailbox, and whether it reads like a person's ('jane.doe', 'j.doe')."""
    words = _WORD.findall(mailbox)
    if len(words) >= 2 and "." in mailbox:
        yield "mailbox:personal"
    for word in words:
        yield f"mailbox:{word}"


def url_host(url: str) -> str:
    """The host of a website, lower case, tolerating a missing scheme and junk."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        return (parts.hostname or "").rstrip(".")
    except ValueError:
        return ""


def host_parts(host: str) -> Iterator[str]:
    """The endings of a host ('gv.at', 'senate.gov', 'de') and the words of its labels."""
    labels = [label for label in host.split(".") if label]
    if not labels:
        return
    for size in (1, 2, 3):
        if len(labels) > size or (size == 1 and labels):
            yield "host:" + ".".join(labels[-size:])
    for label in labels[:-1]:
        if label in _SERVICE_LABELS:
            continue
        for word in _WORD.findall(label):
            yield f"host:w:{word}"
            for size in ENDINGS[:3]:
                if len(word) > size:
                    yield f"host:end:{word[-size:]}"


def describe(feature: str) -> str:
    """A feature in words, as evidence shows it: "name ends in '-institut'"."""
    kind, _, rest = feature.partition(":")
    sub, _, value = rest.partition(":")
    if kind == "host":
        if sub == "w":
            return f"domain has '{value}'"
        if sub == "end":
            return f"domain has a word ending in '-{value}'"
        return f"domain ends in '{rest}'"
    if kind == "mailbox":
        return "a personal mailbox" if rest == "personal" else f"mailbox '{rest}@'"
    if kind == "no":
        return f"no {_MISSING.get(rest, rest)}"
    if kind == "country":
        return f"country {rest.upper()}"
    if sub == "end":
        return f"{kind} has a word ending in '-{value}'"
    return f"{kind} has '{rest}'"
