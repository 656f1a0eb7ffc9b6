"""The greeting line: German (DIN 5008), British and American usage, roles versus people."""

import re
from functools import cache
from pathlib import Path

import pytest

from outreach.compose.content import Content, load_content
from outreach.compose.greeting import greeting
from outreach.compose.person import Person, is_role, parse_person
from outreach.compose.render import greeting_line
from outreach.models import Contact

DAMEN_UND_HERREN = "Sehr geehrte Damen und Herren,"
SIR_OR_MADAM = "Dear Sir or Madam,"


@cache
def content(language: str) -> Content:
    """The shipped content of a language."""
    return load_content(language)


def greet(
    name: str,
    salutation: str = "",
    title: str = "",
    country: str = "",
    org: str = "",
    *,
    kind: str = "general",
    email: str = "info@example.org",
) -> tuple[str, str]:
    """The German and the English greeting of one contact row, as its email has them."""
    row = Contact(
        row=2, email=email, organisation=org, contact_name=name or "-", salutation=salutation,
        title=title, country=country,
    )  # fmt: skip
    person = parse_person(name, salutation, title, country)
    return tuple(  # type: ignore[return-value]
        greeting_line(row, person, content(language), kind) for language in ("de", "en")
    )


# contact_name, salutation, title column, country -> German greeting, English greeting
GREETINGS = [
    # Gender known: only the highest title; German spells out Professor, English drops the dot.
    ("Dr. Käthe Schäfer", "Frau", "", "DE", "Sehr geehrte Frau Dr. Schäfer,", "Dear Dr Schäfer,"),
    (
        "Prof. Dr. Tim Becker",
        "Herr",
        "",
        "",
        "Sehr geehrter Herr Professor Becker,",
        "Dear Professor Becker,",
    ),
    (
        "Prof. Dr. Anna Becker",
        "Frau",
        "",
        "",
        "Sehr geehrte Frau Professorin Becker,",
        "Dear Professor Becker,",
    ),
    (
        "Prof. Dr. Dr. h.c. mult. Eva Marsh",
        "Frau",
        "",
        "",
        "Sehr geehrte Frau Professorin Marsh,",
        "Dear Professor Marsh,",
    ),
    (
        "Prof. Dr.-Ing. Tom Marsh",
        "Herr",
        "",
        "",
        "Sehr geehrter Herr Professor Marsh,",
        "Dear Professor Marsh,",
    ),
    ("Professor Ian Marsh", "", "", "GB", "Guten Tag Prof. Ian Marsh,", "Dear Professor Marsh,"),
    # Every doctorate is "Dr."
    ("Dr.-Ing. Anna Klein", "Frau", "", "", "Sehr geehrte Frau Dr. Klein,", "Dear Dr Klein,"),
    ("Dr. rer. nat. Eva Klein", "Frau", "", "", "Sehr geehrte Frau Dr. Klein,", "Dear Dr Klein,"),
    ("Dr. med. Paul Klein", "Herr", "", "", "Sehr geehrter Herr Dr. Klein,", "Dear Dr Klein,"),
    ("Dr. phil. Paul Klein", "Herr", "", "", "Sehr geehrter Herr Dr. Klein,", "Dear Dr Klein,"),
    ("Dr. h.c. Paul Klein", "Herr", "", "", "Sehr geehrter Herr Dr. Klein,", "Dear Dr Klein,"),
    ("Dr. h. c. Paul Klein", "Herr", "", "", "Sehr geehrter Herr Dr. Klein,", "Dear Dr Klein,"),
    ("PD Dr. Paul Klein", "Herr", "", "", "Sehr geehrter Herr Dr. Klein,", "Dear Dr Klein,"),
    (
        "Priv.-Doz. Dr. Paul Klein",
        "Herr",
        "",
        "",
        "Sehr geehrter Herr Dr. Klein,",
        "Dear Dr Klein,",
    ),
    ("Dr. Dr. Paul Klein", "Herr", "", "", "Sehr geehrter Herr Dr. Klein,", "Dear Dr Klein,"),
    # A PhD is a doctorate: Dr in both languages.
    ("Jane Porter, PhD", "Frau", "", "", "Sehr geehrte Frau Dr. Porter,", "Dear Dr Porter,"),
    ("Jane Porter Ph.D.", "Ms", "", "", "Sehr geehrte Frau Dr. Porter,", "Dear Dr Porter,"),
    # Degrees and offices are never part of a salutation.
    ("Dipl.-Ing. Hans Müller", "Herr", "", "", "Sehr geehrter Herr Müller,", "Dear Mr Müller,"),
    ("Dipl.-Kfm. Hans Müller", "Herr", "", "", "Sehr geehrter Herr Müller,", "Dear Mr Müller,"),
    (
        "Hans Müller, Dipl.-Ing. (FH)",
        "Herr",
        "",
        "",
        "Sehr geehrter Herr Müller,",
        "Dear Mr Müller,",
    ),
    ("Käthe Schäfer M.A.", "Frau", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    ("Käthe Schäfer, M.Sc.", "Frau", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    ("Käthe Schäfer B.Sc.", "Frau", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    ("Käthe Schäfer MBA", "Frau", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    ("Käthe Schäfer, LL.M.", "Frau", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    ("Herr Jonas Richter, MdB", "", "", "", "Sehr geehrter Herr Richter,", "Dear Mr Richter,"),
    ("Jonas Richter MdL", "Herr", "", "", "Sehr geehrter Herr Richter,", "Dear Mr Richter,"),
    ("Ms Laura Rossi MEP", "", "", "", "Sehr geehrte Frau Rossi,", "Dear Ms Rossi,"),
    ("Laura Rossi, MdEP", "Frau", "", "", "Sehr geehrte Frau Rossi,", "Dear Ms Rossi,"),
    ("Jonas Richter, MdA", "Herr", "", "", "Sehr geehrter Herr Richter,", "Dear Mr Richter,"),
    ("Jonas Richter MdHB", "Herr", "", "", "Sehr geehrter Herr Richter,", "Dear Mr Richter,"),
    (
        "Dr. Jonas Richter, MdB a.D.",
        "Herr",
        "",
        "",
        "Sehr geehrter Herr Dr. Richter,",
        "Dear Dr Richter,",
    ),
    # Mag. only in Austria; Dr. outranks Mag.
    ("Mag. Anna Huber", "Frau", "", "AT", "Sehr geehrte Frau Mag. Huber,", "Dear Ms Huber,"),
    (
        "Mag. Anna Huber",
        "Frau",
        "",
        "Österreich",
        "Sehr geehrte Frau Mag. Huber,",
        "Dear Ms Huber,",
    ),
    ("Mag. Anna Huber", "Frau", "", "Austria", "Sehr geehrte Frau Mag. Huber,", "Dear Ms Huber,"),
    ("Mag. Anna Huber", "Frau", "", "Autriche", "Sehr geehrte Frau Mag. Huber,", "Dear Ms Huber,"),
    ("Mag.a Anna Huber", "Frau", "", "at", "Sehr geehrte Frau Mag. Huber,", "Dear Ms Huber,"),
    ("Mag. Anna Huber", "Frau", "", "DE", "Sehr geehrte Frau Huber,", "Dear Ms Huber,"),
    ("Mag. Anna Huber", "Frau", "", "", "Sehr geehrte Frau Huber,", "Dear Ms Huber,"),
    ("Mag. Dr. Anna Huber", "Frau", "", "AT", "Sehr geehrte Frau Dr. Huber,", "Dear Dr Huber,"),
    ("Anna Huber", "Frau", "Mag.", "AT", "Sehr geehrte Frau Mag. Huber,", "Dear Ms Huber,"),
    ("Mag. Anna Huber", "", "", "AT", "Guten Tag Mag. Anna Huber,", "Dear Anna Huber,"),
    # The title column.
    (
        "Andreas Keller",
        "Herr",
        "Prof. Dr.",
        "",
        "Sehr geehrter Herr Professor Keller,",
        "Dear Professor Keller,",
    ),
    ("Käthe Schäfer", "Frau", "Dr.", "", "Sehr geehrte Frau Dr. Schäfer,", "Dear Dr Schäfer,"),
    ("Käthe Schäfer", "Frau", "Dr. med.", "", "Sehr geehrte Frau Dr. Schäfer,", "Dear Dr Schäfer,"),
    ("Dr. Käthe Schäfer", "Frau", "Dr.", "", "Sehr geehrte Frau Dr. Schäfer,", "Dear Dr Schäfer,"),
    (
        "Dr. Käthe Schäfer",
        "Frau",
        "Prof. Dr.",
        "",
        "Sehr geehrte Frau Professorin Schäfer,",
        "Dear Professor Schäfer,",
    ),
    ("Käthe Schäfer", "Frau Dr.", "", "", "Sehr geehrte Frau Dr. Schäfer,", "Dear Dr Schäfer,"),
    # Gender unknown or diverse: full name in German, never a guess from the first name.
    ("Käthe Schäfer", "", "", "", "Guten Tag Käthe Schäfer,", "Dear Käthe Schäfer,"),
    ("Dr. Käthe Schäfer", "", "", "", "Guten Tag Dr. Käthe Schäfer,", "Dear Dr Schäfer,"),
    (
        "Prof. Dr. Andreas Keller",
        "",
        "",
        "",
        "Guten Tag Prof. Andreas Keller,",
        "Dear Professor Keller,",
    ),
    ("Jonas Richter", "", "", "", "Guten Tag Jonas Richter,", "Dear Jonas Richter,"),
    ("Jane Porter", "", "", "", "Guten Tag Jane Porter,", "Dear Jane Porter,"),
    ("Dr. Jane Porter", "", "", "", "Guten Tag Dr. Jane Porter,", "Dear Dr Porter,"),
    ("Alex Taylor", "divers", "", "", "Guten Tag Alex Taylor,", "Dear Mx Taylor,"),
    ("Mx Alex Taylor", "", "", "", "Guten Tag Alex Taylor,", "Dear Mx Taylor,"),
    ("Alex Taylor", "Mx.", "Dr.", "", "Guten Tag Dr. Alex Taylor,", "Dear Dr Taylor,"),
    # Only a surname and no gender: no correct personal form.
    ("Schäfer", "", "", "", DAMEN_UND_HERREN, SIR_OR_MADAM),
    ("Dr. Schäfer", "", "", "", DAMEN_UND_HERREN, "Dear Dr Schäfer,"),
    ("Schäfer", "Frau", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    ("Richter, MdB", "Herr", "", "", "Sehr geehrter Herr Richter,", "Dear Mr Richter,"),
    ("Richter, MdB", "", "", "", DAMEN_UND_HERREN, SIR_OR_MADAM),
    # English courtesy: Frau -> Ms unless the salutation column says Mrs or Miss.
    ("Jane Porter", "Frau", "", "GB", "Sehr geehrte Frau Porter,", "Dear Ms Porter,"),
    ("Jane Porter", "Ms", "", "GB", "Sehr geehrte Frau Porter,", "Dear Ms Porter,"),
    ("Jane Porter", "Mrs", "", "GB", "Sehr geehrte Frau Porter,", "Dear Mrs Porter,"),
    ("Jane Porter", "Mrs.", "", "GB", "Sehr geehrte Frau Porter,", "Dear Mrs Porter,"),
    ("Jane Porter", "Miss", "", "GB", "Sehr geehrte Frau Porter,", "Dear Miss Porter,"),
    ("Mrs Jane Porter", "", "", "GB", "Sehr geehrte Frau Porter,", "Dear Mrs Porter,"),
    ("Mrs Jane Porter", "Frau", "", "GB", "Sehr geehrte Frau Porter,", "Dear Mrs Porter,"),
    ("Jan de Vries", "Mr", "", "NL", "Sehr geehrter Herr de Vries,", "Dear Mr de Vries,"),
    ("Tom Whitfield", "Herr", "", "GB", "Sehr geehrter Herr Whitfield,", "Dear Mr Whitfield,"),
    # Particles stay with the surname and keep their case.
    (
        "Ursula von der Leyen",
        "Frau",
        "",
        "",
        "Sehr geehrte Frau von der Leyen,",
        "Dear Ms von der Leyen,",
    ),
    (
        "Frau Ursula von der Leyen",
        "",
        "",
        "",
        "Sehr geehrte Frau von der Leyen,",
        "Dear Ms von der Leyen,",
    ),
    (
        "Ursula von der Leyen",
        "",
        "",
        "",
        "Guten Tag Ursula von der Leyen,",
        "Dear Ursula von der Leyen,",
    ),
    (
        "Herr van der Bellen",
        "",
        "",
        "AT",
        "Sehr geehrter Herr van der Bellen,",
        "Dear Mr van der Bellen,",
    ),
    # Names in CRM shapes.
    ("Schäfer, Käthe", "Frau", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    ("Schäfer, Dr. Käthe", "", "", "", "Guten Tag Dr. Käthe Schäfer,", "Dear Dr Schäfer,"),
    ("MÜLLER, Hans", "Herr", "", "", "Sehr geehrter Herr Müller,", "Dear Mr Müller,"),
    ("DE VRIES, JAN", "", "", "", "Guten Tag Jan de Vries,", "Dear Jan de Vries,"),
    ("  Käthe    Schäfer  ", " Frau ", "", "", "Sehr geehrte Frau Schäfer,", "Dear Ms Schäfer,"),
    (
        "Anna-Lena Müller-Lüdenscheidt",
        "",
        "",
        "",
        "Guten Tag Anna-Lena Müller-Lüdenscheidt,",
        "Dear Anna-Lena Müller-Lüdenscheidt,",
    ),
    # A named office holder is greeted by name; a bare office is a role.
    ("Frau Ministerin Schulze", "", "", "", "Sehr geehrte Frau Schulze,", "Dear Ms Schulze,"),
    (
        "Bürgermeisterin Anna Schmidt",
        "Frau",
        "",
        "",
        "Sehr geehrte Frau Schmidt,",
        "Dear Ms Schmidt,",
    ),
    (
        "Jane Smith, Senior Policy Director",
        "Ms",
        "",
        "",
        "Sehr geehrte Frau Smith,",
        "Dear Ms Smith,",
    ),
]


@pytest.mark.parametrize(("name", "salutation", "title", "country", "german", "english"), GREETINGS)
def test_greeting(
    name: str, salutation: str, title: str, country: str, german: str, english: str
) -> None:
    assert greet(name, salutation, title, country) == (german, english)


# contact_name, salutation, title column -> given, surname, gender, title key, courtesy
PEOPLE = [
    ("Prof. Dr. Andreas Keller", "", "", ("Andreas", "Keller", "", "prof", "")),
    ("Dr. rer. nat. Eva Klein", "", "", ("Eva", "Klein", "", "dr", "")),
    ("Dipl.-Ing. Hans Müller", "", "", ("Hans", "Müller", "", "", "")),
    ("Herr Jonas Richter, MdB", "", "", ("Jonas", "Richter", "m", "", "")),
    ("Ms Laura Rossi MEP", "", "", ("Laura", "Rossi", "f", "", "Ms")),
    ("Käthe Schäfer M.A.", "", "", ("Käthe", "Schäfer", "", "", "")),
    ("Schäfer, Käthe", "", "", ("Käthe", "Schäfer", "", "", "")),
    ("von der Leyen, Ursula", "", "", ("Ursula", "von der Leyen", "", "", "")),
    ("Richter, MdB", "", "", ("", "Richter", "", "", "")),
    ("Jane Smith, Greenpeace", "", "", ("Jane", "Smith", "", "", "")),
    ("Ursula von der Leyen", "", "", ("Ursula", "von der Leyen", "", "", "")),
    ("Jan van der Berg", "", "", ("Jan", "van der Berg", "", "", "")),
    ("Jan van Dijk", "", "", ("Jan", "van Dijk", "", "", "")),
    ("Jan de Vries", "", "", ("Jan", "de Vries", "", "", "")),
    ("Karl-Theodor zu Guttenberg", "", "", ("Karl-Theodor", "zu Guttenberg", "", "", "")),
    ("Anna vom Hofe", "", "", ("Anna", "vom Hofe", "", "", "")),
    ("Anna zum Winkel", "", "", ("Anna", "zum Winkel", "", "", "")),
    ("Anna ten Brink", "", "", ("Anna", "ten Brink", "", "", "")),
    ("Anna ter Horst", "", "", ("Anna", "ter Horst", "", "", "")),
    ("Anna den Uyl", "", "", ("Anna", "den Uyl", "", "", "")),
    ("Marie du Pont", "", "", ("Marie", "du Pont", "", "", "")),
    ("Lula da Silva", "", "", ("Lula", "da Silva", "", "", "")),
    ("Laura di Stefano", "", "", ("Laura", "di Stefano", "", "", "")),
    ("Laura del Monte", "", "", ("Laura", "del Monte", "", "", "")),
    ("Laura della Valle", "", "", ("Laura", "della Valle", "", "", "")),
    ("Marine le Pen", "", "", ("Marine", "le Pen", "", "", "")),
    ("Anna la Roche", "", "", ("Anna", "la Roche", "", "", "")),
    ("Anna Maria Schmidt", "", "", ("Anna Maria", "Schmidt", "", "", "")),
    ("Hans-Peter Müller-Lüdenscheidt", "", "", ("Hans-Peter", "Müller-Lüdenscheidt", "", "", "")),
    ("Van Morrison", "", "", ("Van", "Morrison", "", "", "")),
    ("Jack Ma", "", "", ("Jack", "Ma", "", "", "")),
    ("Ad de Vries", "", "", ("Ad", "de Vries", "", "", "")),
    ("Dr. Phil Smith", "", "", ("Phil", "Smith", "", "dr", "")),
    ("Dr. phil. Anna Smith", "", "", ("Anna", "Smith", "", "dr", "")),
    ("MÜLLER, Hans", "", "", ("Hans", "Müller", "", "", "")),
    ("Hans MÜLLER", "", "", ("Hans", "Müller", "", "", "")),
    ("Wei LI", "", "", ("Wei", "LI", "", "", "")),
    ("Jan DE VRIES", "", "", ("Jan", "de Vries", "", "", "")),
    ("Jan de Vries", "Herr", "", ("Jan", "de Vries", "m", "", "")),
    ("Käthe Schäfer", "", "Prof. Dr.", ("Käthe", "Schäfer", "", "prof", "")),
    ("Käthe Schäfer", "", "Dr.", ("Käthe", "Schäfer", "", "dr", "")),
    ("Käthe Schäfer", "", "Dr. med.", ("Käthe", "Schäfer", "", "dr", "")),
    ("Käthe Schäfer (Leitung)", "", "", ("Käthe", "Schäfer", "", "", "")),
    ("Jane Smith, Press Office", "", "", ("Jane", "Smith", "", "", "")),
    ("Herr Schulze", "Frau", "", ("", "Schulze", "f", "", "")),
    ("Lena Herr", "Frau", "", ("Lena", "Herr", "f", "", "")),
    ("Maria de la Cruz", "", "", ("Maria", "de la Cruz", "", "", "")),
    ("Seán O'Brien", "Mr", "", ("Seán", "O'Brien", "m", "", "Mr")),
    ("Dr.Käthe Schäfer", "", "", ("Käthe", "Schäfer", "", "dr", "")),
    ("Prof.Dr.Andreas Keller", "", "", ("Andreas", "Keller", "", "prof", "")),
    ("Mag. rer. soc. oec. Anna Huber", "", "", ("Anna", "Huber", "", "", "")),
]


@pytest.mark.parametrize(("name", "salutation", "title", "expected"), PEOPLE)
def test_parse_person(
    name: str, salutation: str, title: str, expected: tuple[str, str, str, str, str]
) -> None:
    assert parse_person(name, salutation, title) == Person(*expected)


@pytest.mark.parametrize(
    ("salutation", "gender", "courtesy"),
    [
        ("Frau", "f", ""), ("frau", "f", ""), ("FRAU", "f", ""), ("Herr", "m", ""),
        ("herr", "m", ""), ("Herrn", "m", ""), ("Ms", "f", "Ms"), ("Ms.", "f", "Ms"),
        ("Mrs", "f", "Mrs"), ("Mrs.", "f", "Mrs"), ("MRS", "f", "Mrs"), ("Miss", "f", "Miss"),
        ("Mr", "m", "Mr"), ("Mr.", "m", "Mr"), ("mr", "m", "Mr"), ("Mx", "x", "Mx"),
        ("Mx.", "x", "Mx"), ("divers", "x", ""), ("Divers", "x", ""), ("Herr/Frau", "", ""),
        ("", "", ""),
    ],
)  # fmt: skip
def test_gender_comes_from_the_salutation_column(
    salutation: str, gender: str, courtesy: str
) -> None:
    person = parse_person("Alex Porter", salutation)
    assert person is not None
    assert (person.gender, person.courtesy) == (gender, courtesy)


@pytest.mark.parametrize(
    ("name", "gender", "courtesy"),
    [
        ("Frau Käthe Schäfer", "f", ""), ("Herr Jonas Richter", "m", ""),
        ("Ms Laura Rossi", "f", "Ms"), ("Mrs. Laura Rossi", "f", "Mrs"),
        ("Mr Tom Whitfield", "m", "Mr"), ("Mx Alex Taylor", "x", "Mx"),
        ("Frau Dr. Käthe Schäfer", "f", ""), ("Dr. Frau Käthe Schäfer", "f", ""),
    ],
)  # fmt: skip
def test_gender_comes_from_a_prefix_in_the_name(name: str, gender: str, courtesy: str) -> None:
    person = parse_person(name)
    assert person is not None
    assert (person.gender, person.courtesy) == (gender, courtesy)


@pytest.mark.parametrize(
    "name",
    ["Käthe Schäfer", "Jonas Richter", "Maria Rossi", "John Smith", "Anna", "Herr", "Lena Herr"],
)
def test_gender_is_never_guessed_from_a_first_name(name: str) -> None:
    person = parse_person(name)
    assert person is None or person.gender == ""


def test_salutation_column_wins_over_a_name_prefix() -> None:
    assert greet("Herr Alex Porter", "Frau") == ("Sehr geehrte Frau Porter,", "Dear Ms Porter,")


ROLES = [
    "Redaktion", "Redaktion Wissen", "Ressort Netzwelt", "Referat KI", "Referat Digitales",
    "Frau Bürgermeisterin", "Herr Minister", "Legislative Director", "Office of Senator Smith",
    "Office of an MP", "Pressestelle", "Geschäftsstelle", "Vorstand", "Sekretariat",
    "Team Kommunikation", "Newsdesk", "Press office", "Editorial team",
    "Communications Department", "Info", "Kontakt",
    # Inflections, gender-inclusive spellings, compounds, capitals.
    "Bürgermeister", "Frau Ministerin", "Abgeordnete", "Abgeordneter", "Bürgermeister/in",
    "Pressesprecher*in", "Referent:in", "ReferentIn", "Onlineredaktion", "Wissenschaftsredaktion",
    "Abteilungsleiterin Presse", "Bundesministerin", "Büro", "Buero", "PRESSESTELLE",
    "Stellvertretende Vorsitzende", "Head of Communications", "Editor-in-Chief",
    "The Guardian Newsdesk", "Berlin Office", "Senior Policy Advisor", "General enquiries",
    # A desk first is a desk, whatever names follow.
    "Redaktion Wissen und Technik", "Office of Senator Elizabeth Warren",
]  # fmt: skip

NOT_ROLES = [
    "Käthe Schäfer", "Jan de Vries", "Laura Rossi", "Tom Whitfield", "Dr. Lena Hartmann",
    "Jonas Richter", "Herr Jonas Richter, MdB", "Ms Laura Rossi MEP", "Prof. Dr. Andreas Keller",
    "Margrit Sprecher", "Hans Leiter", "Robert Service", "Tim Press", "An Nguyen",
    "Bürgermeisterin Anna Schmidt", "Frau Ministerin Schulze", "Jane Smith, Press Office",
]  # fmt: skip


# Roles greeted by their office; every other role gets the team greeting.
OFFICE_GREETINGS = {
    "Frau Bürgermeisterin": ("Sehr geehrte Frau Bürgermeisterin,", "Dear Der Spiegel team,"),
    "Herr Minister": ("Sehr geehrter Herr Minister,", "Dear Der Spiegel team,"),
    "Frau Ministerin": ("Sehr geehrte Frau Ministerin,", "Dear Der Spiegel team,"),
    "Bundesministerin": ("Sehr geehrte Frau Bundesministerin,", "Dear Der Spiegel team,"),
    "Legislative Director": (DAMEN_UND_HERREN, "Dear Legislative Director,"),
    "Editor-in-Chief": (DAMEN_UND_HERREN, "Dear Editor-in-Chief,"),
}


@pytest.mark.parametrize("text", ROLES)
def test_roles_are_not_people(text: str) -> None:
    assert is_role(text)
    assert parse_person(text, "Frau") is None
    assert greet(text, "Frau", "Dr.", "", "Der Spiegel") == OFFICE_GREETINGS.get(
        text, (DAMEN_UND_HERREN, "Dear Der Spiegel team,")
    )


@pytest.mark.parametrize("text", NOT_ROLES)
def test_names_are_not_roles(text: str) -> None:
    assert not is_role(text)
    assert parse_person(text) is not None


@pytest.mark.parametrize("text", ["", "   ", ",", "(Leitung)", "info@example.org", "MdB", "Dr."])
def test_no_name_is_no_person(text: str) -> None:
    assert parse_person(text, "Frau", "Dr.") is None


@pytest.mark.parametrize(
    ("organisation", "english"),
    [
        ("PauseAI", "Dear PauseAI team,"),
        ("  Netzpolitik.org  ", "Dear Netzpolitik.org team,"),
        ("The Guardian", "Dear Guardian team,"),
        ("Policy Team", "Dear Policy team,"),
        ("Daily Example – Technology desk", "Dear Daily Example team,"),
        ("Algorithmic Notes (Substack)", "Dear Algorithmic Notes team,"),
        ("Office of Senator Ruth Alvarez", SIR_OR_MADAM),
        ("Press Office", SIR_OR_MADAM),
        ("", SIR_OR_MADAM),
    ],
)
def test_no_person(organisation: str, english: str) -> None:
    assert greet("", org=organisation) == (DAMEN_UND_HERREN, english)


# Hand-built people, as other modules may make them.
BUILT = [
    (
        Person("Käthe", "Schäfer", "f", "dr", ""),
        "",
        "Sehr geehrte Frau Dr. Schäfer,",
        "Dear Dr Schäfer,",
    ),
    (
        Person("", "Becker", "m", "prof", ""),
        "",
        "Sehr geehrter Herr Professor Becker,",
        "Dear Professor Becker,",
    ),
    (
        Person("Anna", "Huber", "f", "mag", ""),
        "AT",
        "Sehr geehrte Frau Mag. Huber,",
        "Dear Ms Huber,",
    ),
    (Person("Anna", "Huber", "f", "mag", ""), "DE", "Sehr geehrte Frau Huber,", "Dear Ms Huber,"),
    (Person("", "Porter", "", "dr", ""), "", DAMEN_UND_HERREN, "Dear Dr Porter,"),
    (Person("Jane", "Porter", "", "", "Mrs."), "", "Guten Tag Jane Porter,", "Dear Mrs Porter,"),
    (Person("Alex", "Taylor", "x", "", "Mx"), "", "Guten Tag Alex Taylor,", "Dear Mx Taylor,"),
    (
        Person("Käthe", "Dr. Schäfer", "F", "Dr.", ""),
        "",
        "Sehr geehrte Frau Dr. Schäfer,",
        "Dear Dr Schäfer,",
    ),
    (Person("Käthe", " ", "f", "dr", ""), "", DAMEN_UND_HERREN, "Dear ACME team,"),
    (Person("", "Schäfer", "", "", ""), "", DAMEN_UND_HERREN, "Dear ACME team,"),
]
TEAM = {"de": DAMEN_UND_HERREN, "en": "Dear ACME team,"}


@pytest.mark.parametrize(("person", "country", "german", "english"), BUILT)
def test_greeting_of_a_built_person(
    person: Person, country: str, german: str, english: str
) -> None:
    assert greeting(person, "de", team=TEAM["de"], country=country) == german
    assert greeting(person, "en", team=TEAM["en"], country=country) == english


@pytest.mark.parametrize("language", ["fr", "", "deutsch"])
def test_unknown_language_is_refused(language: str) -> None:
    with pytest.raises(ValueError, match="use 'de' or 'en'"):
        greeting(None, language)


def all_greetings() -> list[str]:
    """Every greeting the tables above produce."""
    lines = [line for row in GREETINGS for line in row[4:]]
    lines += [line for row in PEOPLE for line in greet(row[0], row[1], row[2])]
    lines += [line for text in ROLES + NOT_ROLES for line in greet(text, "Frau", "Prof. Dr.")]
    return lines


@pytest.mark.parametrize("line", all_greetings())
def test_greeting_is_well_formed(line: str) -> None:
    assert line.endswith(",") and line == line.strip()
    assert "  " not in line and " ," not in line and ",," not in line
    no_name = r"(geehrter? (Frau|Herr)|Tag|Dear( \w+)?)( (Dr\.|Professor(in)?|Prof\.|Mag\.))?,$"
    assert not re.search(no_name, line) or line in (DAMEN_UND_HERREN, SIR_OR_MADAM)
    words = re.findall(r"Dr\b|Prof|Mag\.|Frau|Herr|Ms|Mrs|Mr|Mx", line)
    assert len(words) == len(set(words)), line
    assert not re.search(r"(Dr|Prof).*\b(Dr|Prof)", line)


# --- offices, roles, American usage and the team greeting of each type ----------------------

# contact_name, salutation, country -> German, English greeting, display name in To
OFFICE_ABBREVIATIONS = [
    ("Mag. Abg. z. NR Petra Berger", "", "AT", "Guten Tag Mag. Petra Berger,", "Petra Berger"),
    ("Abg. z. NR Mag. Petra Berger", "Frau", "AT", "Sehr geehrte Frau Mag. Berger,",
     "Petra Berger"),
    ("Petra Berger, Abg. z. NR", "Frau", "AT", "Sehr geehrte Frau Berger,", "Petra Berger"),
    ("Petra Berger Abg.z.NR", "Frau", "AT", "Sehr geehrte Frau Berger,", "Petra Berger"),
    ("MdB Anna Schmidt", "Frau", "DE", "Sehr geehrte Frau Schmidt,", "Anna Schmidt"),
    ("Anna Schmidt MdB", "Frau", "DE", "Sehr geehrte Frau Schmidt,", "Anna Schmidt"),
    ("Anna Schmidt, MdL", "", "DE", "Guten Tag Anna Schmidt,", "Anna Schmidt"),
    ("BM Dr. Anna Schmidt", "Frau", "DE", "Sehr geehrte Frau Dr. Schmidt,", "Anna Schmidt"),
    ("StS Dr. Jan Berg", "Herr", "DE", "Sehr geehrter Herr Dr. Berg,", "Jan Berg"),
    ("Dr. Jan Berg StS", "Herr", "DE", "Sehr geehrter Herr Dr. Berg,", "Jan Berg"),
    ("Laura Rossi MEP", "Frau", "IT", "Sehr geehrte Frau Rossi,", "Laura Rossi"),
    ("Abgeordnete des Landtags Eva Maier", "Frau", "DE", "Sehr geehrte Frau Maier,", "Eva Maier"),
    ("LAbg. Eva Maier", "Frau", "AT", "Sehr geehrte Frau Maier,", "Eva Maier"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "salutation", "country", "german", "display"), OFFICE_ABBREVIATIONS
)
def test_office_abbreviations_leave_the_greeting_and_the_display_name(
    name: str, salutation: str, country: str, german: str, display: str
) -> None:
    from outreach.compose.render import recipient_name

    assert greet(name, salutation, "", country)[0] == german
    person = parse_person(name, salutation, "", country)
    row = Contact(row=2, email="a@example.org", contact_name=name, salutation=salutation)
    assert recipient_name(row, person) == display


@pytest.mark.parametrize(
    ("role", "german"),
    [
        ("Frau Bürgermeisterin", "Sehr geehrte Frau Bürgermeisterin,"),
        ("Bürgermeisterin", "Sehr geehrte Frau Bürgermeisterin,"),
        ("Frau Oberbürgermeisterin", "Sehr geehrte Frau Oberbürgermeisterin,"),
        ("Herr Bürgermeister", "Sehr geehrter Herr Bürgermeister,"),
        ("Landrätin", "Sehr geehrte Frau Landrätin,"),
        ("Frau Abgeordnete", "Sehr geehrte Frau Abgeordnete,"),
        ("Herr Abgeordneter", "Sehr geehrter Herr Abgeordneter,"),
        ("Frau Staatssekretärin", "Sehr geehrte Frau Staatssekretärin,"),
        ("Präsidentin", "Sehr geehrte Frau Präsidentin,"),
        # The masculine form alone may name a woman or a man; a job is not an office.
        ("Bürgermeister", DAMEN_UND_HERREN),
        ("Abgeordnete", DAMEN_UND_HERREN),
        ("Pressesprecherin", DAMEN_UND_HERREN),
        ("Frau Geschäftsführerin", DAMEN_UND_HERREN),
    ],
)
def test_a_gendered_office_is_addressed_by_that_office(role: str, german: str) -> None:
    assert greet(role, org="Stadt Musterstadt")[0] == german


@pytest.mark.parametrize(
    ("role", "english"),
    [
        ("Legislative Director", "Dear Legislative Director,"),
        ("legislative director", "Dear Legislative Director,"),
        ("the Editor", "Dear Editor,"),
        ("Press Officer", "Dear Press Officer,"),
        ("Director of Research", "Dear Director of Research,"),
        ("Editor-in-Chief", "Dear Editor-in-Chief,"),
        ("Editorial team", SIR_OR_MADAM),
        ("Office of Senator Ruth Alvarez", SIR_OR_MADAM),
        ("Member", SIR_OR_MADAM),
        ("Herr Minister", SIR_OR_MADAM),
    ],
)
def test_a_role_title_is_greeted_as_such_in_english(role: str, english: str) -> None:
    assert greet(role)[1] == english


@pytest.mark.parametrize(
    ("name", "salutation", "country", "email", "english"),
    [
        ("Dr. Rachel Miller", "", "US", "r@example.org", "Dear Dr. Miller,"),
        ("Rachel Miller", "Ms", "USA", "r@example.org", "Dear Ms. Miller,"),
        ("Tom Reed", "Mr", "Canada", "t@example.org", "Dear Mr. Reed,"),
        ("Alex Reed", "Mx", "United States", "a@example.org", "Dear Mx. Reed,"),
        ("Prof. Ann Reed", "", "US", "a@example.org", "Dear Professor Reed,"),
        ("Jane Reed", "Miss", "US", "j@example.org", "Dear Miss Reed,"),
        ("Rachel Miller", "Ms", "", "r.miller@agency.gov", "Dear Ms. Miller,"),
        ("Rachel Miller", "Ms", "", "r.miller@cs.example.edu", "Dear Ms. Miller,"),
        ("Rachel Miller", "Ms", "GB", "r.miller@agency.gov", "Dear Ms Miller,"),
        ("Dr. Rachel Miller", "", "GB", "r@example.org", "Dear Dr Miller,"),
        ("Dr. Rachel Miller", "", "", "r@example.org", "Dear Dr Miller,"),
    ],
)
def test_american_and_canadian_recipients_get_american_punctuation(
    name: str, salutation: str, country: str, email: str, english: str
) -> None:
    assert greet(name, salutation, "", country, email=email)[1] == english


@pytest.mark.parametrize(
    ("kind", "org", "german", "english"),
    [
        ("advocacy_org", "Bürgerinitiative Sichere KI", "Liebes Team von der Bürgerinitiative "
         "Sichere KI,", "Dear friends at Bürgerinitiative Sichere KI,"),
        ("advocacy_org", "Foodwatch e.V.", "Liebes Team von Foodwatch e.V.,",
         "Dear friends at Foodwatch e.V.,"),
        ("advocacy_org", "The Climate Collective", "Liebes Team von The Climate Collective,",
         "Dear friends at The Climate Collective,"),
        ("influencer", "KI einfach erklärt (YouTube)", "Liebes Team von KI einfach erklärt,",
         "Hi KI einfach erklärt team,"),
        ("policymaker", "Deutscher Bundestag", DAMEN_UND_HERREN, SIR_OR_MADAM),
        ("media", "The Weekly Circuit", DAMEN_UND_HERREN, "Dear Weekly Circuit team,"),
        ("advocacy_org", "Office of the Ombudsman", DAMEN_UND_HERREN, SIR_OR_MADAM),
    ],
)  # fmt: skip
def test_each_type_greets_a_team_as_its_content_says(
    kind: str, org: str, german: str, english: str
) -> None:
    assert greet("", org=org, kind=kind) == (german, english)


def test_the_team_greeting_is_chosen_in_the_content_file(tmp_path: Path) -> None:
    import shutil

    from outreach.compose.content import templates_dir

    shutil.copy(templates_dir() / "content.de.toml", tmp_path / "content.de.toml")
    path = tmp_path / "content.de.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            'team_greeting = "Sehr geehrte Damen und Herren,"', 'team_greeting = "Hallo {name},"'
        ),
        encoding="utf-8",
    )
    edited = load_content("de", tmp_path)
    row = Contact(row=2, email="a@example.org", organisation="Campact")
    assert greeting_line(row, None, edited, "think_tank") == "Hallo Campact,"
