"""Golden drafts: one of each type in each language, as a recipient reads them, line by line.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/test_golden.py`, then
read every changed file before committing it.
"""

import csv
import email
import io
import os
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import make_settings
from outreach.ingest.contacts import read_contacts
from outreach.pipeline import draft_batch

GOLDEN = Path(__file__).resolve().parent / "golden"
COLUMNS = ("type", "language", "organisation", "contact_name", "salutation", "title", "email",
           "country", "note")  # fmt: skip
ROWS = [
    ("think_tank", "de", "Denkwerk Digitale Zukunft", "Käthe Schäfer", "Frau", "Dr.",
     "k.schaefer@denkwerk.example", "DE",
     "Ihre Studie zur europäischen KI-Verordnung haben wir mit großem Interesse gelesen."),
    ("think_tank", "en", "Institute for Future Policy", "", "", "", "info@futurepolicy.example",
     "GB", ""),
    ("lobby_group", "de", "Verband der Softwarewirtschaft Süd e.V.", "", "", "",
     "info@softwareverband.example", "DE", ""),
    ("lobby_group", "en", "Association of Example Software Firms", "Director of Public Affairs",
     "", "", "affairs@software-firms.example", "GB", ""),
    ("research_group", "de", "Zentrum für Maschinelles Lernen und Sicherheit", "", "", "",
     "kontakt@zmls.example", "DE", ""),
    ("research_group", "en", "Alignment Evaluation Lab", "Priya Natarajan", "", "",
     "priya@alignment-eval.example", "US", ""),
    ("professional_network", "de", "Netzwerk KI-Fachleute Deutschland e.V.", "Dr. Jonas Weber",
     "Herr", "", "j.weber@ki-fachleute.example", "DE", ""),
    ("professional_network", "en", "Society of Example Engineers", "Ruth Adams", "Ms", "",
     "r.adams@engineers.example", "GB", ""),
    ("advocacy_org", "de", "Bürgerinitiative Sichere KI Musterstadt", "", "", "",
     "hallo@sichere-ki.example", "DE", ""),
    ("advocacy_org", "en", "The Example Climate Collective", "", "", "",
     "hello@climate-collective.example", "GB", ""),
    ("media", "de", "Musterstädter Tageblatt – Redaktion Wissen", "Redaktion Wissen", "", "",
     "wissen@tageblatt.example", "DE", ""),
    ("media", "en", "Daily Example – Technology desk", "Technology desk", "", "",
     "tips@dailyexample.example", "GB", ""),
    ("academic", "de", "Universität Musterstadt", "Prof. Dr. Thomas Becker", "Herr", "",
     "thomas.becker@uni-musterstadt.example", "DE", ""),
    ("academic", "en", "University of Exampleton", "Emily Marsh", "", "Prof.",
     "e.marsh@exampleton.example", "GB", ""),
    ("public_intellectual", "de", "", "Mag. Eva Huber", "Frau", "", "office@evahuber.example",
     "AT", ""),
    ("public_intellectual", "en", "", "Daniel Okafor", "Mr", "", "daniel@okafor.example", "US",
     "Your essay on machines and judgement stayed with us for weeks."),
    ("policymaker", "de", "Österreichisches Parlament", "Mag. Abg. z. NR Petra Berger", "Frau",
     "", "petra.berger@parlament.example", "AT", ""),
    ("policymaker", "en", "Office of Senator Ruth Alvarez", "Legislative Director", "", "",
     "legislative@alvarez-senate.example", "US", ""),
    ("influencer", "de", "KI einfach erklärt (YouTube)", "Paula Schmitt", "Frau", "",
     "business@ki-einfach.example", "DE", ""),
    ("influencer", "en", "Algorithmic Notes (Substack)", "", "", "",
     "hello@algorithmic-notes.example", "GB", ""),
    ("international_ngo", "de", "Internationale Ärzte für Technikfolgen e.V.", "", "", "",
     "info@aerzte-technikfolgen.example", "CH", ""),
    ("international_ngo", "en", "Worldwide Alliance for Digital Rights", "Jan de Vries", "Mr",
     "", "j.devries@digitalrights.example", "NL", ""),
    ("general", "de", "Kulturzentrum Alte Mühle", "", "", "", "programm@alte-muehle.example",
     "DE", ""),
    ("general", "en", "Example Community Library", "", "", "", "library@community.example",
     "GB", ""),
]  # fmt: skip


def rendered(message: EmailMessage) -> str:
    """The headers a reader sees (Date normalised) and the text part as it is sent."""
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Reply-To", "Subject")]
    lines.append("Date: <normalised>")
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_param("format") == "flowed"
    return "\n".join(lines) + "\n\n" + str(body.get_content()).replace("\r\n", "\n")


@pytest.fixture(scope="module")
def drafts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """Every golden row drafted once: (type, language) → what the recipient reads."""
    folder = tmp_path_factory.mktemp("golden")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([COLUMNS, *ROWS])
    contacts = folder / "contacts.csv"
    contacts.write_text(buffer.getvalue(), encoding="utf-8")
    batch = draft_batch(read_contacts(contacts), folder / "out", "golden", make_settings()).folder
    made = {}
    for index, row in enumerate(ROWS):
        (path,) = (batch / "drafts").glob(f"{index + 2:05d}-*.eml")
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        made[row[0], row[1]] = rendered(message)
    return made


@pytest.mark.parametrize(("type_key", "language"), [(row[0], row[1]) for row in ROWS])
def test_golden_draft(drafts: dict[tuple[str, str], str], type_key: str, language: str) -> None:
    golden = GOLDEN / f"{type_key}.{language}.txt"
    actual = drafts[type_key, language]
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(("type_key", "language"), [(row[0], row[1]) for row in ROWS])
def test_golden_draft_is_a_short_letter(
    drafts: dict[tuple[str, str], str], type_key: str, language: str
) -> None:
    body = drafts[type_key, language].split("\n\n", 1)[1]
    assert 120 <= len(body.split()) <= 200


def test_no_german_draft_carries_the_seeds_mistranslations(
    drafts: dict[tuple[str, str], str],
) -> None:
    from test_content import MISTRANSLATIONS

    german = [text for (_, language), text in drafts.items() if language == "de"]
    assert len(german) == 12
    for phrase in MISTRANSLATIONS:
        assert not any(phrase.casefold() in text.casefold() for text in german), phrase
