"""Golden drafts: what a recipient reads, in German and in English, compared line by line."""

import email
import os
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from outreach.ingest.contacts import read_contacts
from outreach.pipeline import draft_batch
from outreach.settings import Settings

GOLDEN = Path(__file__).resolve().parent / "golden"
CONTACTS = (
    "Name der Organisation;Ansprechpartner;Anrede;Titel;E-Mail;Land;Beschreibung;Notiz\n"
    "Musterstädter Tageblatt;Käthe Schäfer;Frau;Dr.;k.schaefer@tageblatt.example;DE;"
    "Regionale Tageszeitung mit Wissenschaftsressort.;"
    "Mit großem Interesse haben wir Ihre Serie über KI in der Medizin gelesen.\n"
    "Institute for Future Policy;Dr Helen Porter;Ms;;h.porter@futurepolicy.example;GB;"
    "Policy institute and think tank publishing research on technology governance.;\n"
)


def rendered(message: EmailMessage) -> str:
    """The headers a reader sees (Date normalised) and the text part."""
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Reply-To", "Subject")]
    lines.append("Date: <normalised>")
    body = message.get_body(("plain",))
    assert body is not None
    return "\n".join(lines) + "\n\n" + str(body.get_content()).replace("\r\n", "\n")


@pytest.mark.parametrize(("row", "name"), [(2, "de"), (3, "en")])
def test_golden_draft(tmp_path: Path, settings: Settings, row: int, name: str) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes(CONTACTS.encode("cp1252"))
    folder = draft_batch(read_contacts(contacts), tmp_path / "out", "golden", settings).folder
    (path,) = (folder / "drafts").glob(f"{row:05d}-*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    actual = rendered(message)
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")
