"""Who a contact row names: given name, surname, gender, title, or a role instead of a person."""

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def fold(text: str) -> str:
    """Casefold and spell out umlauts, so 'Buero' matches 'Büro'."""
    return text.casefold().translate(_UMLAUTS)


def _words(text: str) -> frozenset[str]:
    """A word list written with spaces, folded for lookups."""
    return frozenset(fold(word) for word in text.split())


PARTICLES: Final = _words("von van de der den du da di del della zu vom zum zur ten ter le la dos")

# Gender and English courtesy; a name may start with these.
_NAME_PREFIXES: Final[dict[str, tuple[str, str]]] = {
    "frau": ("f", ""), "herr": ("m", ""), "herrn": ("m", ""),
    "ms": ("f", "Ms"), "mrs": ("f", "Mrs"), "miss": ("f", "Miss"),
    "mr": ("m", "Mr"), "mx": ("x", "Mx"),
}  # fmt: skip
# Only the salutation column may use these: in a name "Fr." could be Father and "M." an initial.
_SALUTATION_WORDS: Final[dict[str, tuple[str, str]]] = {
    **{word: ("f", "") for word in _words("fr w f weiblich female")},
    **{word: ("m", "") for word in _words("hr m männlich male")},
    **{word: ("x", "") for word in _words("d x divers diverse non-binary nonbinary")},
    **_NAME_PREFIXES,
}
# Trude Herr: after a given name these are a surname, not a prefix.
_SURNAMES_TOO: Final = _words("herr herrn")
COURTESIES: Final = {"ms": "Ms", "mrs": "Mrs", "miss": "Miss", "mr": "Mr", "mx": "Mx"}

_RANK: Final = {"prof": 3, "dr": 2, "mag": 1}
_PROF: Final = _words(
    "prof professor professorin jun-prof juniorprof juniorprofessor juniorprofessorin hon-prof "
    "honorarprof honorarprofessor honorarprofessorin univ-prof"
)
# A PhD is a doctorate: English usage addresses its holder as Dr, and so do we in German.
_DR: Final = _words("dr doktor doktorin phd dphil")
_MAG: Final = _words("mag maga")
# Parts of "Dr. rer. nat.", "Dr. h. c. mult.", "Mag. phil.": dropped only right after a title.
_TITLE_PARTS: Final = _words(
    "rer nat med dent vet phil jur iur oec pol soc publ theol habil hc h c ing sc techn mont paed "
    "agr mult em emer pharm arch art des math rernat rerpol rersoc medvet medhabil"
)
# Degrees, offices after a name and the like: never part of a salutation.
_DEGREES: Final = _words(
    "mba msc bsc meng beng mphil llm llb mdb mdl mep mdep mda mdhb mdbb mdbü obe mbe cbe frs esq "
    "priv-doz privdoz abg labg sts cllr hon mpp mhk"
)
# Also names (Jack Ma, Ad de Vries): a degree only when written with dots or in capitals.
_MARKED_DEGREES: Final = _words(
    "ma ba mp msp mla td ad qc kc jr sr pd doz apl ing med bm sen rep gr str ob am"
)
# "Abg. z. NR" (Austria), "Abgeordnete des Landtags": an office in a name field, dropped whole.
_OFFICE_PHRASE: Final = re.compile(
    r"\b(?:L?Abg\.?|Abgeordnete[rn]?)\s*(?:z\.|zum|zur|im|des|der)\s*"
    r"(?:NR|BR|EP|LT|Nationalrat(?:es|s)?|Bundesrat(?:es|s)?|Landtag(?:es|s)?|"
    r"Bundestag(?:es|s)?|Europäischen\s+Parlament(?:s)?)\b\.?",
    re.IGNORECASE,
)

# Desks and units: the field addresses a mailbox, not a person.
_DESKS: Final = _words(
    "redaktion ressort referat pressestelle geschäftsstelle vorstand sekretariat team kontakt info "
    "presse abteilung büro zentrale verwaltung kommunikation öffentlichkeitsarbeit "
    "geschäftsführung leitung empfang poststelle fraktion ausschuss kanzlei office desk newsdesk "
    "newsroom department dept editorial media communications comms information contact enquiries "
    "inquiries admin administration secretariat reception board committee support helpdesk hello "
    "mailbox unit bureau policy partnerships outreach marketing events newsletter webmaster "
    "feedback"
)
# Offices and jobs: a role unless a person's name comes with them.
_OFFICES: Final = _words(
    "bürgermeister minister senator abgeordnete abgeordneter abgeordneten landrat landrätin "
    "stadtrat stadträtin präsident vorsitzende vorsitzender vorsitzenden geschäftsführer direktor "
    "leiterin referent sprecherin redakteur korrespondent ansprechpartner mitarbeiter assistent "
    "sachbearbeiter beauftragte beauftragter beauftragten dezernent intendant dekan kanzlerin "
    "mitglied director manager officer editor president chair chairman chairwoman chairperson "
    "secretary mayor councillor councilor representative spokesperson spokesman spokeswoman "
    "coordinator assistant aide adviser advisor correspondent producer reporter journalist member "
    "ceo cfo cto coo founder cofounder owner"
)
# German compounds: Onlineredaktion, Bundesministerin, Abteilungsleiter. Surnames such as
# Leiter or Sprecher exist, so these count only inside a longer word.
_DESK_ENDINGS: Final = _words(
    "stelle büro abteilung redaktion sekretariat referat ressort zentrale leitung team "
    "kommunikation verwaltung vorstand führung office desk service"
)
_OFFICE_ENDINGS: Final = _words(
    "minister bürgermeister sekretär sprecher leiter referent direktor präsident redakteur führer "
    "berater beauftragte vorsitzende abgeordnete"
)
_QUALIFIERS: Final = _words(
    "senior junior deputy vice executive managing general acting interim chief lead principal "
    "parliamentary political legislative stellvertretende stellvertretender stellv leitende "
    "leitender persönliche persönlicher parlamentarische parlamentarischer wissenschaftliche "
    "wissenschaftlicher erste erster"
)
_FUNCTION_WORDS: Final = _words("of the and for at für und die dem")
# Also given names (An, In, Im, To): ignored when counting names, kept when parsing them.
_SHORT_FUNCTION_WORDS: Final = _words("a an in im to")
_NOT_NAMES: Final = _FUNCTION_WORDS | _SHORT_FUNCTION_WORDS | _QUALIFIERS | PARTICLES

_AUSTRIA: Final = _words("at aut austria österreich autriche")
_SPLIT: Final = re.compile(r"[\s,;/|:*_()\[\]&+]+")
_PARENTHESES: Final = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_GLUED_TITLE: Final = re.compile(r"\b(Dr|Prof|Mag)\.(?=[A-ZÄÖÜ])")  # "Dr.Schäfer"


@dataclass(frozen=True)
class Person:
    """A person to greet, as far as the contact row tells."""

    given: str
    surname: str
    gender: str
    title: str
    courtesy: str


@dataclass
class _Scan:
    """What the tokens of one part of a name field say."""

    marks: list[tuple[str, str]] = field(default_factory=list)
    titles: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)
    dropped_role: bool = False


# The token checks below are pure, and titles, prefixes and common names recur across a batch:
# each is cached (like _role_kind), which halves the time spent on salutations.
@lru_cache(maxsize=16384)
def token_key(token: str) -> str:
    """The lookup form of a token: folded, without dots or quotes."""
    return fold(token).strip("'\"").replace(".", "")


@lru_cache(maxsize=16384)
def _title_of(token: str) -> str:
    """The title key a token stands for: 'prof', 'dr', 'mag' or ''."""
    key, folded = token_key(token), fold(token)
    if key in _PROF:
        return "prof"
    if key in _DR or folded.startswith(("dr.", "dr-")):
        return "dr"
    if key in _MAG or folded.startswith("mag."):
        return "mag"
    return ""


@lru_cache(maxsize=16384)
def _is_title_part(token: str) -> bool:
    """True for 'rer.', 'nat.', 'h.c.' and the like."""
    return "." in token and token_key(token) in _TITLE_PARTS


@lru_cache(maxsize=16384)
def _is_degree(token: str) -> bool:
    """True for degrees and post-nominal offices (Dipl.-Ing., M.A., MdB, a.D.)."""
    key = token_key(token)
    if key in _DEGREES or fold(token).startswith(("dipl.", "dipl-")):
        return True
    marked = "." in token or (token.isupper() and len(token) > 1)
    return marked and key in _MARKED_DEGREES


def _forms(key: str) -> list[str]:
    """The word and its stem without a German feminine or plural ending."""
    forms = [key]
    for ending in ("innen", "in", "s"):
        if key.endswith(ending) and len(key) - len(ending) >= 4:
            forms.append(key[: -len(ending)])
    return forms


def _compound(word: str, endings: frozenset[str]) -> bool:
    """True when word is a longer compound ending in one of endings."""
    return any(word.endswith(end) and len(word) >= len(end) + 3 for end in endings)


@lru_cache(maxsize=16384)  # the same words recur across a batch; the check is pure
def _role_kind(token: str) -> str:
    """'desk', 'office' or '' for one token; hyphenated parts count on their own."""
    for part in token_key(token).split("-"):
        for form in _forms(part):
            if form in _DESKS or _compound(form, _DESK_ENDINGS):
                return "desk"
            if form in _OFFICES or _compound(form, _OFFICE_ENDINGS):
                return "office"
    return ""


@lru_cache(maxsize=16384)
def _looks_like_name(token: str) -> bool:
    """True for a token that could be part of a name (letters, no digits or @)."""
    return any(c.isalpha() for c in token) and not any(c.isdigit() or c == "@" for c in token)


@lru_cache(maxsize=16384)
def _is_filler(token: str) -> bool:
    """True for tokens that are neither a name nor a role (titles, prefixes, small words)."""
    key = token_key(token)
    return (
        key in _NAME_PREFIXES
        or key in _NOT_NAMES
        or bool(_title_of(token))
        or _is_title_part(token)
        or _is_degree(token)
        or sum(c.isalpha() for c in token) < 2
        or not _looks_like_name(token)
    )


def _tokens(text: str) -> list[str]:
    """Split a field into words at white space and punctuation other than dots and hyphens."""
    return [token for token in _SPLIT.split(text) if token.strip("'\".-")]


def is_desk(text: str) -> bool:
    """True when a word of the text names a desk or unit (Redaktion, desk, Pressestelle)."""
    return any(_role_kind(token) == "desk" for token in _tokens(text))


def _office_of(tokens: list[str]) -> bool:
    """True for "Director of Public Affairs" or "Leiterin für Kommunikation": office and field."""
    return any(
        _role_kind(token) == "office" and token_key(following) in ("of", "for", "für")
        for token, following in itertools.pairwise(tokens)
    )


def is_role(text: str) -> bool:
    """True when the text names a role, office or desk rather than a person."""
    meaningful = [token for token in _tokens(text) if not _is_filler(token)]
    kinds = [_role_kind(token) for token in meaningful]
    if not any(kinds):
        return False
    if kinds[0] == "desk" or _office_of(_tokens(text)):
        return True
    names = kinds.count("")
    prefixed = any(token_key(token) in _NAME_PREFIXES for token in _tokens(text))
    # "Legislative Director" and "Frau Bürgermeisterin" carry no name; "Frau Ministerin
    # Schulze" and "Bürgermeisterin Anna Schmidt" do.
    return names < (1 if prefixed else 2)


def _scan(tokens: list[str]) -> _Scan:
    """Sort the tokens of one comma-separated part into prefixes, titles and names."""
    scan = _Scan()
    in_title = False
    for token in tokens:
        key = token_key(token)
        title = _title_of(token)
        part = in_title and _is_title_part(token)
        in_title = bool(title) or part
        if title:
            scan.titles.add(title)
        elif part or _is_degree(token):
            continue
        elif key in _NAME_PREFIXES and not (scan.names and key in _SURNAMES_TOO):
            if not scan.names:
                scan.marks.append(_NAME_PREFIXES[key])
        elif _role_kind(token) or key in _QUALIFIERS or key in _FUNCTION_WORDS:
            scan.dropped_role = True
        elif _looks_like_name(token):
            scan.names.append(token)
    return scan


def _resolve(marks: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """One gender and courtesy from the marks found, or nothing when they disagree."""
    found = list(marks)
    if len({gender for gender, _ in found}) != 1:
        return "", ""
    courtesies = [courtesy for _, courtesy in found if courtesy]
    return found[0][0], courtesies[0] if courtesies else ""


def _parse_salutation(text: str) -> tuple[list[tuple[str, str]], set[str]]:
    """Gender marks and titles from the salutation column ("Frau", "Mrs.", "Herr Dr.")."""
    marks = [
        _SALUTATION_WORDS[token_key(t)] for t in _tokens(text) if token_key(t) in _SALUTATION_WORDS
    ]
    return marks, {title for t in _tokens(text) if (title := _title_of(t))}


def usable_title(titles: Iterable[str], country: str) -> str:
    """The highest title that is used in a salutation; Mag. only counts in Austria."""
    austria = fold(country).strip(" .") in _AUSTRIA
    usable = [t for t in titles if t in _RANK and (t != "mag" or austria)]
    return max(usable, key=_RANK.__getitem__, default="")


def _split_name(names: list[str], prefixed: bool) -> tuple[str, str]:
    """Given name and surname; particles before the last word belong to the surname."""
    if not names:
        return "", ""
    start = len(names) - 1
    while start > 0 and fold(names[start - 1]) in PARTICLES:
        start -= 1
    if start == 0 and len(names) > 1 and not prefixed and not names[0][:1].islower():
        start = 1  # "Van Morrison": a capitalised particle opening a bare name is a given name
    return " ".join(names[:start]), " ".join(names[start:])


def _is_last_first(head: _Scan, rest: _Scan) -> bool:
    """True for CRM order "Schäfer, Käthe" (not "Richter, MdB" or "Jane Smith, Greenpeace")."""
    core = [name for name in head.names if fold(name) not in PARTICLES]
    return bool(rest.names) and not rest.dropped_role and len(core) == 1


def _is_shouted(name: str) -> bool:
    """True for an ALL-CAPS name of more than three letters, as some CRMs export them."""
    return name.isupper() and sum(c.isalpha() for c in name) > 3


def _fix_caps(name: str, shouted_row: bool) -> str:
    """Title-case a shouted name (or any name of a shouted row); particles stay lower case."""
    if not (shouted_row or _is_shouted(name)):
        return name
    return " ".join(w.lower() if fold(w) in PARTICLES else w.title() for w in name.split())


def parse_person(
    contact_name: str, salutation: str = "", title: str = "", country: str = ""
) -> Person | None:
    """The person in a contact row, or None when the field is empty or names a role."""
    text = _OFFICE_PHRASE.sub(" ", _PARENTHESES.sub(" ", contact_name))
    text = _GLUED_TITLE.sub(r"\1. ", text)
    if is_role(text):
        return None
    scans = [_scan(tokens) for part in text.split(",") if (tokens := _tokens(part))]
    if not scans:
        return None
    head = scans[0]
    if len(scans) > 1 and _is_last_first(head, scans[1]):
        given, surname = " ".join(scans[1].names), " ".join(head.names)
    else:
        given, surname = _split_name(head.names, prefixed=bool(head.marks or head.titles))
    if not surname:
        return None
    salutation_marks, salutation_titles = _parse_salutation(salutation)
    gender, courtesy = _resolve(salutation_marks)
    name_gender, name_courtesy = _resolve(mark for scan in scans for mark in scan.marks)
    if not gender:
        gender, courtesy = name_gender, name_courtesy
    elif gender == name_gender:
        courtesy = courtesy or name_courtesy
    titles = salutation_titles | _scan(_tokens(title)).titles
    titles.update(t for scan in scans for t in scan.titles)
    best = usable_title(titles, country)
    shouted = _is_shouted(f"{given} {surname}")
    given, surname = _fix_caps(given, shouted), _fix_caps(surname, shouted)
    return Person(given, surname, gender, best, courtesy)


def _bare(name: str) -> str:
    """A name without titles or degrees, in case a caller built the Person from raw columns."""
    return " ".join(
        t for t in name.split() if not (_title_of(t) or _is_title_part(t) or _is_degree(t))
    )


def tidy(person: Person) -> Person:
    """The Person with bare names, a lower-case gender and its title as a key."""
    titles = {_title_of(token) for token in _tokens(person.title)} - {""}
    return Person(
        given=_bare(person.given),
        surname=_bare(person.surname),
        gender=person.gender.strip().casefold(),
        title=max(titles, key=_RANK.__getitem__, default=""),
        courtesy=person.courtesy,
    )
