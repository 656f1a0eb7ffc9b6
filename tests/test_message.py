"""The direct MIME writer: every draft parses back to exactly what was rendered."""

import email
import itertools
import random
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from outreach.compose.mime import MessageWriter, message_id
from outreach.compose.render import RenderedEmail
from outreach.errors import HeaderInjectionError, OutreachError
from outreach.models import Contact
from outreach.settings import Settings

DATE = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
ALPHABET = "abcdefghijklmnopqrstuvwxyz ABCXYZ äöüÄÖÜß–„“‘’é€ \"'(),.:;<>@[]\\=?_-/&!{}"


def build(
    settings: Settings, subject: str, name: str, text: str, html: str, address: str
) -> EmailMessage:
    contact = Contact.from_row(2, {"email": address, "organisation": "Org"}, {})
    writer = MessageWriter(settings, "batch-1", DATE)
    raw = writer.build(
        RenderedEmail(subject, text, html, name), contact, writer.message_id(contact)
    )
    assert max(raw) < 128, "not 7-bit"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Partnering with PauseAI – The Weekly Circuit", "Jane Roe"),
        (
            "Zusammenarbeit mit PauseAI – " + "Verband der Überlangen Organisationsnamen " * 4,
            "Käthe Schäfer",
        ),
        ("Plain ASCII subject " * 8, 'Roe, Jane "JJ" (Dr.)'),
        ("Ümlaut", "Ärzte ohne Grenzen e.V."),
        ("x" * 120, ""),
    ],
)
def test_headers_decode_to_what_was_given(settings: Settings, subject: str, name: str) -> None:
    subject = subject.strip()  # the renderer folds white space in subjects
    message = build(
        settings, subject, name, "Hallo\n", "<!DOCTYPE html><p>Hallo</p>\n", "a@bücher.example"
    )
    assert str(message["Subject"]) == subject.strip()
    to = message["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == (name, "a@xn--bcher-kva.example")
    assert message["From"].addresses[0].display_name == "Anna Beispiel (PauseAI)"
    assert message["Date"].datetime == DATE
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_random_texts_round_trip(settings: Settings) -> None:
    rng = random.Random(20261127)
    for _ in range(300):
        subject = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 140))).strip() or "x"
        subject = " ".join(subject.split())
        name = " ".join("".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 50))).split())
        lines = [
            "".join(rng.choice(ALPHABET + "\t") for _ in range(rng.randrange(0, 200)))
            for _ in range(5)
        ]
        text = "\n".join(lines) + "\n"
        message = build(settings, subject, name, text, f"<p>{text}</p>\n", "info@example.org")
        assert str(message["Subject"]) == subject
        assert message["To"].addresses[0].display_name == name
        assert tuple(b.replace("\r\n", "\n") for b in bodies(message)) == (text, f"<p>{text}</p>\n")


def test_a_line_break_in_a_header_value_is_refused(settings: Settings) -> None:
    with pytest.raises(HeaderInjectionError):
        build(settings, "Hi\r\nBcc: x@example.com", "Jane", "t\n", "h\n", "a@example.org")
    with pytest.raises(HeaderInjectionError):
        build(settings, "Hi", "Jane\nBcc: x@example.com", "t\n", "h\n", "a@example.org")


def test_encoded_words_split_between_characters_and_fill_each_word() -> None:
    import base64

    from outreach.compose.mime import _WORD_BYTES, encode_text

    generator = random.Random(7)
    for _ in range(300):
        text = "".join(generator.choice(ALPHABET + "😀𝄞") for _ in range(generator.randint(1, 90)))
        if text.isascii():
            continue
        encoded = encode_text(text, len("Subject: "))
        pieces = encoded.split("\r\n ")
        assert all(p.startswith("=?utf-8?b?") and p.endswith("?=") for p in pieces)
        words = [base64.b64decode(piece[10:-2]) for piece in pieces]
        assert b"".join(words).decode("utf-8") == text
        assert all(len(word) <= _WORD_BYTES for word in words)
        for word, following in itertools.pairwise(words):
            word.decode("utf-8")  # whole characters only
            first = following.decode("utf-8")[0].encode("utf-8")
            assert len(word) + len(first) > _WORD_BYTES  # greedy: the next character did not fit


def test_the_first_emails_message_id_is_the_one_ledgers_in_use_hold() -> None:
    # From a draft of contacts/example.csv (batch "example") made before follow-ups existed.
    stored = "<22a317d3ad490390d81f7a2d3fe0e3cd.example@example.org>"
    address = "k.schaefer@denkwerk-digital.example"
    assert message_id("example", address, "example.org") == stored
    assert message_id("example", address.upper(), "example.org", step=0) == stored
    follow_ups = {message_id("example", address, "example.org", step) for step in (1, 2, 3)}
    assert len(follow_ups) == 3 and stored not in follow_ups


def test_a_follow_up_names_the_email_it_answers(settings: Settings) -> None:
    contact = Contact.from_row(2, {"email": "a@example.org", "organisation": "Org"}, {})
    writer = MessageWriter(settings, "batch-1", DATE)
    first, second = writer.message_id(contact), writer.message_id(contact, 1)
    raw = writer.build(
        RenderedEmail("Re: Hi", "t\n", "<p>h</p>\n", "Org"), contact, writer.message_id(contact, 2),
        in_reply_to=second, references=(first, second),
    )  # fmt: skip
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["In-Reply-To"] == second
    assert message["References"].split() == [first, second]
    assert not message.defects


def test_header_injection_is_an_outreach_error() -> None:
    assert issubclass(HeaderInjectionError, OutreachError)
