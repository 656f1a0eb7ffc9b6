"""Pick the language of an email: German or English."""

import re
from typing import Final
from urllib.parse import urlsplit

from outreach.models import Contact

GERMAN: Final = "de"
ENGLISH: Final = "en"

_GERMAN_COUNTRIES: Final = frozenset(
    {
        "de", "deu", "at", "aut", "ch", "che", "li", "lie",
        "deutschland", "germany", "bundesrepublik deutschland", "allemagne",
        "österreich", "oesterreich", "austria", "autriche",
        "schweiz", "switzerland", "suisse", "svizzera", "confoederatio helvetica",
        "liechtenstein", "fürstentum liechtenstein",
    }
)  # fmt: skip

# Country names that are clearly not German-speaking; an unknown name falls through.
_OTHER_COUNTRIES: Final = frozenset(
    {
        "united kingdom", "uk", "great britain", "england", "scotland", "wales",
        "vereinigtes königreich", "großbritannien", "united states", "usa",
        "united states of america", "vereinigte staaten", "ireland", "irland", "france",
        "frankreich", "italy", "italien", "italia", "spain", "spanien",
        "netherlands", "niederlande", "the netherlands", "holland", "belgium", "belgien",
        "sweden", "schweden", "norway", "norwegen", "denmark", "dänemark", "finland", "finnland",
        "poland", "polen", "portugal", "canada", "kanada", "australia", "australien",
        "new zealand", "neuseeland", "india", "indien", "japan", "china", "brazil", "brasilien",
        "czech republic", "czechia", "tschechien", "greece", "griechenland", "kenya", "kenia",
        "south africa", "südafrika", "singapore", "singapur", "israel", "mexico", "mexiko",
    }
)  # fmt: skip

_GERMAN_TLDS: Final = (".de", ".at", ".ch", ".li")

_WORD = re.compile(r"[a-zäöüß]+")
_GERMAN_WORDS: Final = frozenset(
    "und der die das ist für mit von zu im den des ein eine einer sich auf nicht auch als bei "
    "über wir sie zur zum vom durch wird werden sind unsere unser oder nach gegen".split()
)
_ENGLISH_WORDS: Final = frozenset(
    "and the of is for with to in on a an that this are by as from our we its it at be "
    "which who their about into over".split()
)


def pick_language(contact: Contact) -> tuple[str, str]:
    """Return the language ('de' or 'en') and the reason it was chosen."""
    if contact.language:
        return contact.language, "language column"
    by_country = language_of_country(contact.country)
    if by_country:
        return by_country, f"country {contact.country}"
    for host in (_domain_of(contact.email), _host_of(contact.website)):
        if host.endswith(_GERMAN_TLDS):
            return GERMAN, f"domain {host}"
    by_text = language_of_text(contact.description)
    if by_text:
        return by_text, "description"
    return ENGLISH, "default"


def language_of_country(country: str) -> str:
    """'de' for a German-speaking country, 'en' for another known one, '' when unknown."""
    name = _country_key(country)
    if not name:
        return ""
    if name in _GERMAN_COUNTRIES:
        return GERMAN
    if name in _OTHER_COUNTRIES or (len(name) in (2, 3) and name.isalpha()):
        return ENGLISH
    return ""


_NORTH_AMERICA: Final = frozenset(
    {
        "us", "usa", "u s", "u s a", "united states", "united states of america", "america",
        "vereinigte staaten", "vereinigte staaten von amerika", "ca", "can", "canada", "kanada",
    }
)  # fmt: skip
_NORTH_AMERICAN_TLDS: Final = (".us", ".ca", ".gov", ".mil", ".edu")


def american_usage(country: str, address: str) -> bool:
    """True for a recipient in the US or Canada: the country, else the address's domain."""
    name = _country_key(country)
    if name:
        return name in _NORTH_AMERICA
    return _domain_of(address).endswith(_NORTH_AMERICAN_TLDS)


def _country_key(country: str) -> str:
    """A country as the tables spell it: lower case, dots as spaces ('U.S.A.' → 'u s a')."""
    return " ".join(country.casefold().replace(".", " ").split())


def language_of_text(text: str) -> str:
    """Guess the language of free text from its function words; '' when it cannot tell."""
    words = _WORD.findall(text.casefold())
    german = sum(word in _GERMAN_WORDS for word in words) + 2 * sum(
        any(ch in word for ch in "äöüß") for word in words
    )
    english = sum(word in _ENGLISH_WORDS for word in words)
    if german > english:
        return GERMAN
    if english > german:
        return ENGLISH
    return ""


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].casefold().rstrip(".")


def _host_of(website: str) -> str:
    if not website:
        return ""
    url = website if "//" in website else f"//{website}"
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
