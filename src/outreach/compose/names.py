"""An organisation's name as a letter uses it: without desk or platform labels, in a sentence."""

import re
from typing import Final

from outreach.compose.person import fold, is_desk

PLACEHOLDERS: Final = {
    "de": ("name", "mit_name", "bei_name", "von_name", "an_name", "in_name", "zu_name"),
    "en": ("name", "the_name"),
}

_PLATFORMS: Final = frozenset(
    "youtube twitch instagram tiktok substack podcast x twitter mastodon bluesky linkedin "
    "facebook threads patreon spotify kick newsletter blog vlog kanal channel account profil "
    "profile page seite".split()
)
_PLATFORM_PREFIX: Final = re.compile(
    r"^\s*(?:youtube|twitch|instagram|tiktok|substack|podcast|x|twitter|mastodon|bluesky|"
    r"linkedin|facebook|threads|patreon|spotify|kick)\s*[:|–—-]\s*(?=\S)",
    re.IGNORECASE,
)
_BRACKETS: Final = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]")
_SEGMENTS: Final = re.compile(r"\s+[–—|-]\s+|\s*\|\s*")


def _is_label(text: str) -> bool:
    """True for 'YouTube', 'Technology desk', 'Redaktion Wissen': a channel or unit, not a name."""
    words = [fold(word) for word in re.split(r"[\s/-]+", text.strip()) if word]
    if not words:
        return False
    return all(word in _PLATFORMS for word in words) or is_desk(text)


def plain_name(organisation: str) -> str:
    """The organisation without platform tags and desk labels ("– Technology desk", "(YouTube)")."""
    name = " ".join(organisation.split())
    name = _BRACKETS.sub(lambda m: "" if _is_label(m[1]) else m[0], name).strip()
    name = _PLATFORM_PREFIX.sub("", name)
    segments = [part for part in _SEGMENTS.split(name) if part.strip()]
    kept = [part for part in segments if not _is_label(part)]
    if kept and len(kept) < len(segments):
        name = " – ".join(kept)
    return name.strip(" –—|-:") or " ".join(organisation.split())


# The head noun of a German (or English) institution's name decides its article.
_FEMININE: Final = (
    "stiftung zeitung universität hochschule akademie gesellschaft initiative vereinigung allianz "
    "koalition gruppe kammer partei fraktion redaktion agentur kommission behörde bewegung "
    "organisation gewerkschaft föderation liga plattform rundschau schule bibliothek kanzlei "
    "verwaltung stadt gemeinde union genossenschaft sektion konferenz werkstatt stelle zentrale "
    "anstalt zeitschrift post presse vertretung botschaft regierung kirche foundation university "
    "society alliance league academy association federation school coalition commission agency "
    "organization institution"
).split()
_MASCULINE: Final = (
    "verband verein bund rundfunk funk rat kreis klub club tag senat verlag sender spiegel kurier "
    "anzeiger bote merkur beobachter dienst fonds ausschuss beirat konzern podcast kanal "
    "council"
).split()
_NEUTER: Final = (
    "institut zentrum center centre netzwerk forum büro bündnis kollektiv labor lab laboratory "
    "kolleg college magazin blatt journal portal ministerium amt parlament kuratorium komitee "
    "gremium projekt observatorium museum seminar konsortium werk studio theater programm "
    "sekretariat team radio fernsehen institute office committee parliament project network "
    "observatory programme"
).split()
_GENDER: Final = {
    **{noun: "f" for noun in _FEMININE},
    **{noun: "m" for noun in _MASCULINE},
    **{noun: "n" for noun in _NEUTER},
}
_FOLDED_GENDER: Final = {fold(noun): gender for noun, gender in _GENDER.items()}
_HEAD_LENGTHS: Final = sorted({len(noun) for noun in _FOLDED_GENDER}, reverse=True)
_ARTICLES: Final = {"der": "m", "die": "f", "das": "n"}
_DATIVE: Final = {"m": "dem", "n": "dem", "f": "der"}
_CONTRACTED: Final = {
    ("bei", "dem"): "beim", ("von", "dem"): "vom", ("zu", "dem"): "zum", ("zu", "der"): "zur",
    ("an", "dem"): "am", ("in", "dem"): "im",
}  # fmt: skip
# Where a name's own words end and what it is about begins ("Verband der Automobilindustrie").
_STOP_WORDS: Final = frozenset(
    "für der des von zur zum und ohne gegen im in am an auf for of the and on at e.v. ev".split()
)
_ADJECTIVE_STEMS: Final = re.compile(
    r"(isch|lich|ig|al|iv|ell|är|bar|los|haft|sam|deutsch|neu|frei|alt|jung|grün|rot|offen|"
    r"allgemein|privat|mittler|ober|unter)$"
)
_ADJECTIVE_ENDING: Final = re.compile(r"(es|er|em|en|e)$")


def _head_gender(word: str) -> str:
    """'m', 'f' or 'n' when the word is, or ends in, a known head noun; '' otherwise."""
    last = fold(word.rsplit("-", 1)[-1]).strip(".,")
    for length in _HEAD_LENGTHS:  # the longest known ending decides: Landesrundfunkanstalt
        if length <= len(last) and (gender := _FOLDED_GENDER.get(last[-length:], "")):
            return gender
    return ""


def _dative_adjective(word: str) -> str:
    """A German adjective before the head noun in the dative: 'Deutscher' → 'Deutschen'."""
    match = _ADJECTIVE_ENDING.search(word)
    if match is None or not word[:1].isupper():
        return word
    stem = word[: match.start()]
    folded = fold(stem)
    # "Leipziger", "Frankfurter": a place name with -er is not inflected.
    if not _ADJECTIVE_STEMS.search(folded) or (match[1] == "er" and folded.endswith("ig")):
        return word  # "Frankfurter", "Bertelsmann": a place or a name, not inflected
    return stem + "en"


def _dative(name: str) -> tuple[str, str]:
    """The definite dative article and the name's words after it; ('', name) when unknown."""
    words = name.split()
    if not words:
        return "", name
    if fold(words[0]) in _ARTICLES and len(words) > 1:
        gender, words = _ARTICLES[fold(words[0])], words[1:]
        head = next((i for i, w in enumerate(words) if _dative_adjective(w) == w), len(words))
    else:
        gender, head = "", -1
        for index, word in enumerate(words):
            if fold(word) in _STOP_WORDS:
                break
            if found := _head_gender(word):
                gender, head = found, index
                break
        if not gender and _dative_adjective(words[0]) != words[0]:
            return "der", f"Organisation {name}"  # "Internationale Ärzte …": no article fits
        if not gender:
            return "", name
    inflected = [_dative_adjective(w) if i < head else w for i, w in enumerate(words)]
    return _DATIVE[gender], " ".join(inflected)


def german_phrase(preposition: str, name: str) -> str:
    """'mit der Friedrich-Ebert-Stiftung', 'vom Deutschen Bundestag', 'bei Greenpeace'."""
    return _phrase(preposition, *_dative(name), name)


def _phrase(preposition: str, article: str, rest: str, name: str) -> str:
    """A preposition with the dative article, contracted where German contracts it."""
    if not article:
        return f"{preposition} {name}"
    contracted = _CONTRACTED.get((preposition, article))
    return f"{contracted} {rest}" if contracted else f"{preposition} {article} {rest}"


_THE_HEADS: Final = frozenset(
    "institute centre center foundation society alliance league lab laboratory network council "
    "association federation coalition initiative forum project campaign committee commission "
    "agency institution trust fund group movement academy partnership consortium collective "
    "observatory programme program union party office ministry department parliament assembly "
    "senate house university college school board bureau times post guardian economist telegraph "
    "herald gazette tribune chronicle observer journal library museum archive gallery hospital "
    "clinic".split()
)
_NO_THE_AT_END: Final = frozenset("university college school house".split())
_SUFFIXES: Final = frozenset("inc inc. ltd ltd. llc e.v. ev gmbh ggmbh cic".split())


def english_the(name: str) -> str:
    """The name as it reads in a sentence: 'the Internet Society', but 'Chatham House'."""
    words = name.split()
    if not words or fold(words[0]) == "the":
        return name
    core = [fold(w).strip(".,") for w in words if fold(w) not in _SUFFIXES] or [fold(words[0])]
    for index, word in enumerate(core):
        if word in ("of", "for", "on"):
            break
        last = index == len(core) - 1
        linked = not last and core[index + 1] in ("of", "for", "on")
        if word in _THE_HEADS and (linked or (last and word not in _NO_THE_AT_END)):
            return f"the {name}"
    return name


def name_forms(name: str, language: str) -> dict[str, str]:
    """Every placeholder the content of a language may use for an organisation's name."""
    if language == "de":
        article, rest = _dative(name)
        prepositions = ("mit", "bei", "von", "an", "in", "zu")
        return {"name": name} | {f"{p}_name": _phrase(p, article, rest, name) for p in prepositions}
    return {"name": name, "the_name": english_the(name)}
