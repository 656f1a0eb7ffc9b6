"""The greeting line of an email, after German (DIN 5008), British and American business usage."""

import re
from typing import Final

from outreach.compose.person import (
    COURTESIES,
    Person,
    fold,
    is_desk,
    is_role,
    tidy,
    token_key,
    usable_title,
)

NO_PERSON_DE: Final = "Sehr geehrte Damen und Herren,"
NO_PERSON_EN: Final = "Dear Sir or Madam,"

# Public offices that German addresses by the office itself: "Sehr geehrte Frau Bürgermeisterin".
_ADDRESSED_OFFICES: Final = tuple(
    form
    for office in (
        "bürgermeister", "minister", "staatssekretär", "präsident", "senator", "landrat",
        "landrät", "botschafter", "kanzler", "abgeordnete", "dekan", "rektor", "intendant",
        "staatsrat",
    )
    for form in (fold(office), fold(office) + "r")  # Abgeordnete, Abgeordneter
)  # fmt: skip
_GENDER_WORDS: Final = {"frau": "f", "herr": "m", "herrn": "m"}
# Words that never make a role title ("Dear Member," says nothing).
_NOT_TITLES: Final = frozenset(
    fold(w) for w in "member owner mitglied mitarbeiter frau herr herrn".split()
)
_SMALL_WORDS: Final = frozenset("of for the and to at in on".split())
_ENGLISH_OFFICES: Final = frozenset(
    "director manager officer editor president chair chairman chairwoman chairperson secretary "
    "mayor councillor councilor representative spokesperson coordinator adviser advisor "
    "correspondent producer reporter journalist senator minister governor commissioner".split()
)
_ROLE_TITLE: Final = re.compile(r"[A-Za-z][A-Za-z&' -]*")


def _line(*parts: str) -> str:
    """Join the words of a greeting with single spaces and end it with a comma."""
    return " ".join(" ".join(parts).split()) + ","


def _german_title(title: str, gender: str) -> str:
    """Professor(in) is spelled out before a surname; otherwise the abbreviation."""
    if title == "prof" and gender in ("f", "m"):
        return "Professorin" if gender == "f" else "Professor"
    return {"prof": "Prof.", "dr": "Dr.", "mag": "Mag."}.get(title, "")


def _german(person: Person, country: str) -> str:
    """Sehr geehrte Frau Dr. Schäfer / Guten Tag Käthe Schäfer; '' when neither fits."""
    title = usable_title([person.title], country)
    if person.gender in ("f", "m"):
        opening = "Sehr geehrte Frau" if person.gender == "f" else "Sehr geehrter Herr"
        return _line(opening, _german_title(title, person.gender), person.surname)
    if person.given.strip():
        return _line("Guten Tag", _german_title(title, ""), person.given, person.surname)
    return ""  # a surname alone without a gender has no correct personal form in German


def german_office(role: str) -> str:
    """'Sehr geehrte Frau Bürgermeisterin,' for a gendered public office; '' otherwise."""
    words = role.split()
    gender = _GENDER_WORDS.get(fold(words[0]), "") if words else ""
    office = words[1:] if gender else words
    if len(office) != 1:
        return ""
    word = office[0].strip(",.")
    key = fold(word)
    base = key[:-2] if key.endswith("in") else key  # Bürgermeisterin, Landrätin
    if not base.endswith(_ADDRESSED_OFFICES):
        return ""
    if not gender:
        if not key.endswith("in"):
            return ""  # "Bürgermeister" alone may stand for a woman or a man
        gender = "f"
    opening = "Sehr geehrte Frau" if gender == "f" else "Sehr geehrter Herr"
    return _line(opening, word[:1].upper() + word[1:])


def _english_honorific(person: Person, country: str, american: bool) -> str:
    """Professor, Dr, the given courtesy or one for the gender; with a dot in American usage."""
    title = usable_title([person.title], country)
    if title == "prof":
        return "Professor"
    courtesy = "Dr" if title == "dr" else COURTESIES.get(token_key(person.courtesy), "")
    courtesy = courtesy or {"f": "Ms", "m": "Mr", "x": "Mx"}.get(person.gender, "")
    return f"{courtesy}." if american and courtesy and courtesy != "Miss" else courtesy


def english_role(role: str) -> str:
    """'Dear Legislative Director,' for a role title alone; '' for a desk or anything else."""
    words = role.split()
    words = words[1:] if words and fold(words[0]) == "the" else words
    text = " ".join(words)
    if not text or not _ROLE_TITLE.fullmatch(text) or len(words) > 5:
        return ""
    parts = {fold(part) for word in words for part in word.split("-")}
    if not is_role(text) or is_desk(text) or parts & _NOT_TITLES or not parts & _ENGLISH_OFFICES:
        return ""
    shown = [w if w in _SMALL_WORDS or not w.islower() else w.capitalize() for w in words]
    return _line("Dear", *shown)


def greeting(
    person: Person | None,
    language: str,
    *,
    team: str | None = None,
    role: str = "",
    country: str = "",
    american: bool = False,
) -> str:
    """The first line of the email, with its trailing comma; language is 'de' or 'en'.

    `team` greets the organisation when no person is named (None: no name to greet);
    `role` is the contact field when it names an office rather than a person.
    """
    code = language.strip().casefold()
    if code not in ("de", "en"):
        raise ValueError(f"unsupported language {language!r}; use 'de' or 'en'")
    person = None if person is None or not person.surname.strip() else tidy(person)
    if code == "de":
        personal = _german(person, country) if person else german_office(role)
        return personal or team or NO_PERSON_DE
    if person is not None:
        honorific = _english_honorific(person, country, american)
        if honorific:
            return _line("Dear", honorific, person.surname)
        if person.given.strip():
            return _line("Dear", person.given, person.surname)
    return english_role(role) or team or NO_PERSON_EN
