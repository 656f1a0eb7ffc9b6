"""The stable organisation type keys and the labels users may write for them."""

import re
from typing import Final

GENERAL: Final = "general"

#: key -> (German label, English label), in the order of the partnership page.
TYPE_LABELS: Final[dict[str, tuple[str, str]]] = {
    "think_tank": ("Think Tank", "Think tank"),
    "lobby_group": ("Lobbygruppe", "Lobby group"),
    "research_group": ("Forschungsgruppe", "Research group"),
    "professional_network": ("Netzwerk von Fachleuten", "Professional network"),
    "advocacy_org": ("Kleine Advocacy-Organisation", "Small advocacy organisation"),
    "media": ("Medien", "Media"),
    "academic": ("Akademiker und technische Experten", "Academic or technical expert"),
    "public_intellectual": (
        "Öffentliche Intellektuelle und Meinungsbildner",
        "Public intellectual or opinion leader",
    ),
    "policymaker": ("Entscheidungsträger und Politiker", "Policymaker"),
    "influencer": ("Social-Media-Influencer", "Social media influencer"),
    "international_ngo": (
        "Internationale Organisation oder NGO",
        "International organisation or NGO",
    ),
    GENERAL: ("Allgemein", "General"),
}

ORG_TYPES: Final[tuple[str, ...]] = tuple(k for k in TYPE_LABELS if k != GENERAL)

# Further spellings seen in real spreadsheets: plurals, the seed's headings, short forms.
_EXTRA_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "think_tank": ("Think Tanks", "Thinktank", "Denkfabrik", "Policy institute"),
    "lobby_group": ("Lobbygruppen", "Lobby", "Verband", "Interessenverband", "Trade association"),
    "research_group": ("Forschungsgruppen", "Forschung", "Research institute"),
    "professional_network": (
        "Netzwerke von Fachleuten",
        "Fachnetzwerk",
        "Berufsverband",
        "Fachgesellschaft",
        "Professional association",
        "Professional body",
    ),
    "advocacy_org": (
        "Kleine Advocacy-Organisationen",
        "Advocacy",
        "Advocacy organisation",
        "Advocacy organization",
        "Advocacy org",
    ),
    "media": ("Medium", "Presse", "Press", "Journalism", "Journalismus", "Zeitung", "Newspaper"),
    "academic": (
        "Akademiker",
        "Akademikerin",
        "Wissenschaft",
        "Wissenschaftler",
        "Wissenschaftlerin",
        "Technical expert",
        "Academics",
    ),
    "public_intellectual": (
        "Öffentliche Intellektuelle",
        "Intellektuelle",
        "Meinungsbildner",
        "Public intellectuals",
        "Opinion leader",
    ),
    "policymaker": (
        "Einflussreiche Entscheidungsträger und Politiker",
        "Politik",
        "Politiker",
        "Politikerin",
        "Politician",
        "Policymakers",
        "Policy maker",
        "Decision maker",
        "Entscheidungsträger",
    ),
    "influencer": (
        "Soziale Medien-Influencer und digitale Inhaltsentwickler",
        "Influencer",
        "Influencerin",
        "Content creator",
        "Creator",
        "YouTuber",
    ),
    "international_ngo": (
        "Internationale Organisationen und NGOs",
        "NGO",
        "NGOs",
        "International NGO",
        "International organisation",
        "International organization",
        "Internationale Organisation",
    ),
    GENERAL: ("General", "Allgemein", "Sonstige", "Other"),
}


def _normalise_label(label: str) -> str:
    """Fold case, punctuation and spacing so 'Think-Tank' and 'think tank' compare equal."""
    return re.sub(r"[\s_\-–/.]+", "", label.casefold())


def _build_label_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, (de, en) in TYPE_LABELS.items():
        for label in (key, de, en, *_EXTRA_LABELS.get(key, ())):
            index[_normalise_label(label)] = key
    return index


_LABEL_INDEX: Final = _build_label_index()


def resolve_type_label(label: str) -> str | None:
    """Return the type key for a key or German/English label, or None when unknown."""
    return _LABEL_INDEX.get(_normalise_label(label))


def describe_valid_labels() -> str:
    """The accepted keys with their German and English labels, for error messages."""
    return ", ".join(f"{key} ({de} / {en})" for key, (de, en) in TYPE_LABELS.items())


def type_label(key: str, language: str) -> str:
    """The human label of a type key in 'de' or 'en'."""
    de, en = TYPE_LABELS[key]
    return de if language == "de" else en
