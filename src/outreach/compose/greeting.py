"""The greeting line of an email, after German (DIN 5008) and British business usage."""

import re
from typing import Final

from outreach.compose.person import COURTESIES, Person, fold, is_role, tidy, token_key, usable_title

NO_PERSON_DE: Final = "Sehr geehrte Damen und Herren,"
NO_PERSON_EN: Final = "Dear Sir or Madam,"
_LEADING_THE: Final = re.compile(r"^the\s+", re.IGNORECASE)


def _line(*parts: str) -> str:
    """Join the words of a greeting with single spaces and end it with a comma."""
    return " ".join(" ".join(parts).split()) + ","


def _german_title(title: str, gender: str) -> str:
    """Professor(in) is spelled out before a surname; otherwise the abbreviation."""
    if title == "prof" and gender in ("f", "m"):
        return "Professorin" if gender == "f" else "Professor"
    return {"prof": "Prof.", "dr": "Dr.", "mag": "Mag."}.get(title, "")


def _german(person: Person | None, country: str) -> str:
    """Sehr geehrte Frau Dr. Schäfer / Guten Tag Käthe Schäfer / Sehr geehrte Damen und Herren."""
    if person is None or not person.surname.strip():
        return NO_PERSON_DE
    title = usable_title([person.title], country)
    if person.gender in ("f", "m"):
        opening = "Sehr geehrte Frau" if person.gender == "f" else "Sehr geehrter Herr"
        return _line(opening, _german_title(title, person.gender), person.surname)
    if person.given.strip():
        return _line("Guten Tag", _german_title(title, ""), person.given, person.surname)
    # A surname alone without a gender has no correct personal form in German.
    return NO_PERSON_DE


def _english_honorific(person: Person, country: str) -> str:
    """Professor, Dr (British style, no dot), the given courtesy, or one for the gender."""
    title = usable_title([person.title], country)
    if title in ("prof", "dr"):
        return "Professor" if title == "prof" else "Dr"
    courtesy = COURTESIES.get(token_key(person.courtesy), "")
    return courtesy or {"f": "Ms", "m": "Mr", "x": "Mx"}.get(person.gender, "")


def _english(person: Person | None, organisation: str, country: str) -> str:
    """Dear Dr Porter / Dear Jane Porter / Dear Acme team / Dear Sir or Madam."""
    if person is not None and person.surname.strip():
        honorific = _english_honorific(person, country)
        if honorific:
            return _line("Dear", honorific, person.surname)
        if person.given.strip():
            return _line("Dear", person.given, person.surname)
    team = _LEADING_THE.sub("", " ".join(organisation.split()))
    if fold(team).endswith(" team"):
        return _line("Dear", team)
    if not team or is_role(team):  # "Dear Office of Senator Smith team" reads wrong
        return NO_PERSON_EN
    return _line("Dear", f"{team} team")


def greeting(
    person: Person | None, language: str, organisation: str = "", country: str = ""
) -> str:
    """The first line of the email, with its trailing comma; language is 'de' or 'en'."""
    code = language.strip().casefold()
    person = None if person is None else tidy(person)
    if code == "de":
        return _german(person, country)
    if code == "en":
        return _english(person, organisation, country)
    raise ValueError(f"unsupported language {language!r}; use 'de' or 'en'")
