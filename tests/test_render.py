"""Rendering: format=flowed text, the German opening note, and CSS inlined once per template."""

import shutil
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from outreach.classify.orgtypes import GENERAL, ORG_TYPES
from outreach.compose.content import templates_dir
from outreach.compose.inline import inline_css, styles
from outreach.compose.render import LANGUAGES, Renderer, flowed, opening_note
from outreach.models import Classification, Contact
from outreach.settings import Settings


def contact(**fields: str) -> Contact:
    base = {"email": "info@example.org", "organisation": "Beispiel e.V."}
    return Contact.from_row(2, {**base, **fields}, {})


def kind(type_key: str) -> Classification:
    return Classification(type=type_key, confidence=0.9, evidence=("test",))


def edited_templates(tmp_path: Path, name: str, edit: Callable[[str], str]) -> Path:
    """A copy of the shipped templates with one file changed by `edit`."""
    folder = tmp_path / "templates"
    shutil.copytree(templates_dir(), folder)
    path = folder / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def unflow(text: str) -> str:
    """What a format=flowed reader shows (RFC 3676, DelSp=No): soft breaks joined, unstuffed."""
    out: list[str] = []
    joining = False
    for line in text.splitlines():
        line = line[1:] if line.startswith(" ") else line
        out[-1:] = [out[-1] + line] if joining else [*out[-1:], line]
        joining = line.endswith(" ") and line != "-- "
    return "\n".join(out) + "\n"


def test_flowed_text_reflows_to_the_paragraphs_it_was_made_from() -> None:
    paragraph = " ".join(["Wort"] * 40)
    item = "- " + " ".join(["Angebot"] * 20)
    text = f"Kurz.\n\n{paragraph}\n\n{item}\n\n-- \nEnde\n"
    made = flowed(text)
    lines = made.splitlines()
    assert lines[0] == "Kurz." and lines[1] == ""
    assert all(len(line) <= 73 for line in lines)  # 72 and the space of a soft break
    assert sum(line.endswith(" ") for line in lines) > 3
    assert "-- " in lines  # the signature separator stays as it is
    assert unflow(made) == text


def test_flowed_text_keeps_hard_breaks_and_stuffs_lines_a_reader_would_misread() -> None:
    text = "Zeile mit Leerzeichen am Ende   \n>nicht zitiert\nFrom here\n kurz\n"
    made = flowed(text)
    assert made.splitlines() == [
        "Zeile mit Leerzeichen am Ende",
        " >nicht zitiert",
        " From here",
        "  kurz",
    ]
    assert unflow(made) == "Zeile mit Leerzeichen am Ende\n>nicht zitiert\nFrom here\n kurz\n"


def test_flowed_text_never_breaks_a_url() -> None:
    url = "https://example.org/" + "a" * 90
    assert url in flowed(f"Siehe {url} bitte.").split()


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Mit Interesse lasen wir Ihren Artikel.", "mit Interesse lasen wir Ihren Artikel."),
        ("Ihr Artikel hat uns beeindruckt.", "Ihr Artikel hat uns beeindruckt."),
        ("Berlin ist unser Treffpunkt.", "Berlin ist unser Treffpunkt."),
        ("Wir haben Ihren Vortrag gehört.", "wir haben Ihren Vortrag gehört."),
    ],
)
def test_german_note_follows_the_salutation_comma(note: str, expected: str) -> None:
    assert opening_note(note, "de") == expected
    assert opening_note(note, "en") == note


CONTACTS = [
    {"contact_name": "Käthe Schäfer", "salutation": "Frau", "title": "Dr."},
    {"note": "Ihr Beitrag über <KI> & Regulierung hat uns gefallen.", "country": "DE"},
    {"organisation": 'Zeitung "Morgen" & Co <b>', "website": "https://example.org/a?b=1&c=2"},
    {"organisation": "Children's Fund", "contact_name": "Jane O'Neill", "salutation": "Ms"},
]


def premailer_on_the_whole_email(folder: Path, renderer: Renderer, target: Contact,
                                 classification: Classification, language: str) -> str:  # fmt: skip
    """The HTML part as premailer makes it from the fully rendered template."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )  # fmt: skip
    context = renderer.context(target, classification, language)
    subject = renderer.render(target, classification, language).subject
    return inline_css(env.get_template("body.html.j2").render({**context, "subject": subject}))


def same_document(a: str, b: str) -> bool:
    """Equal after parsing: Jinja escapes '"' as &#34; where lxml writes it bare."""
    import lxml.html

    def canonical(text: str) -> bytes:
        return bytes(lxml.html.tostring(lxml.html.document_fromstring(text), encoding="utf-8"))

    return canonical(a) == canonical(b) and a.startswith("<!DOCTYPE html>") == b.startswith(
        "<!DOCTYPE html>"
    )


@pytest.mark.parametrize("type_key", [*ORG_TYPES, GENERAL])
@pytest.mark.parametrize("language", LANGUAGES)
def test_css_inlined_once_gives_what_premailer_gives_each_email(
    settings: Settings, type_key: str, language: str
) -> None:
    renderer = Renderer(templates_dir(), settings)
    for fields in CONTACTS:
        target = contact(**fields)
        html = renderer.render(target, kind(type_key), language).html
        direct = premailer_on_the_whole_email(
            templates_dir(), renderer, target, kind(type_key), language
        )
        assert styles(html) == styles(direct)
        assert same_document(html, direct)


def test_a_template_whose_styles_depend_on_the_rendering_falls_back_to_premailer_per_email(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # In the template's source the loop has one <li>, which is the first child; rendered, only
    # the first of several is. Inlined ahead of time, every item would be red.
    folder = edited_templates(
        tmp_path,
        "body.html.j2",
        lambda text: text.replace("</style>", "li:first-child { color: red; }\n</style>"),
    )
    with caplog.at_level("WARNING", logger="outreach.compose.render"):
        renderer = Renderer(folder, settings)
    assert [r.getMessage() for r in caplog.records] == [
        "body.html.j2: its CSS cannot be inlined once for all emails; premailer runs for each email"
    ]
    target = contact(contact_name="Jane Roe", salutation="Ms")
    html = renderer.render(target, kind("general"), "en").html
    assert html.count("color:red") == 1
    direct = premailer_on_the_whole_email(folder, renderer, target, kind("general"), "en")
    assert html == direct


def test_a_template_that_premailer_cannot_keep_as_jinja_falls_back_too(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A statement inside a tag: premailer's HTML parser takes it apart.
    folder = edited_templates(
        tmp_path, "body.html.j2",
        lambda text: text.replace(
            "<p>{{ opening }}</p>", '<p {% if note %}class="note"{% endif %}>{{ opening }}</p>'
        ).replace("</style>", ".note { font-style: italic; }\n</style>"),
    )  # fmt: skip
    with caplog.at_level("WARNING", logger="outreach.compose.render"):
        renderer = Renderer(folder, settings)
    assert len(caplog.records) == 1
    html = renderer.render(contact(note="Schön."), kind("media"), "de").html
    assert '<p class="note" style="margin:0 0 16px 0; font-style:italic">Schön.</p>' in html


def test_the_shipped_templates_are_inlined_once_without_a_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        Renderer(templates_dir(), settings)
    assert caplog.records == []


def test_html_is_inlined_and_keeps_the_doctype(settings: Settings) -> None:
    email = Renderer(templates_dir(), settings).render(contact(), kind("media"), "de")
    assert email.html.startswith("<!DOCTYPE html>")
    assert '<div class="letter" style="max-width:640px">' in email.html
    assert 'lang="de"' in email.html
    assert '<a href="https://pauseai.info" style="color:#1a56a8">pauseai.info</a>' in email.html


def test_html_looks_like_a_letter_not_a_newsletter(settings: Settings) -> None:
    renderer = Renderer(templates_dir(), settings)
    for language in LANGUAGES:
        html = renderer.render(
            contact(note="Ihr Vortrag hat uns gefallen."), kind("media"), language
        ).html
        assert "<table" not in html and "border-top" not in html  # no card, no coloured bar
        assert "text-align:left" in html and "font-family:-apple-system" in html
        assert "italic" not in html  # the personal opening is set like any paragraph
        assert '<p style="margin:0 0 16px 0">Ihr Vortrag hat uns gefallen.</p>' in html


def test_template_names_come_from_the_content(tmp_path: Path, settings: Settings) -> None:
    folder = edited_templates(
        tmp_path, "content.en.toml", lambda text: text.replace('"subject.txt.j2"', '"other.txt.j2"')
    )
    (folder / "other.txt.j2").write_text("Hello from {{ organisation }}\n", encoding="utf-8")
    renderer = Renderer(folder, settings)
    assert renderer.render(contact(), kind("media"), "en").subject == "Hello from Beispiel e.V."
    assert renderer.render(contact(), kind("media"), "de").subject.startswith("Beispiel e.V.:")


def test_a_template_whose_text_premailer_would_rewrite_falls_back_too(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Inlined ahead of time, premailer would escape the "&" inside the Jinja expression.
    folder = edited_templates(
        tmp_path, "body.html.j2", lambda text: text.replace('join(" ")', 'join(" & ")')
    )
    with caplog.at_level("WARNING", logger="outreach.compose.render"):
        renderer = Renderer(folder, settings)
    assert len(caplog.records) == 1
    html = renderer.render(contact(), kind("media"), "en").html
    assert " &amp; " in html and "&amp;amp;" not in html
