"""Rendering: text wrapping, the German opening note, and the inlined-CSS cache."""

import shutil
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from outreach.compose.content import templates_dir
from outreach.compose.greeting import parse_person
from outreach.compose.render import PERSONAL, Renderer, inline_css, opening_note, wrap_text
from outreach.models import Classification, Contact
from outreach.settings import Settings
from outreach.variants import prints_values_only


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


def test_wrap_keeps_short_lines_and_indents_list_items() -> None:
    long_item = "- " + " ".join(["Wort"] * 30)
    wrapped = wrap_text(f"Kurz.\n\n{long_item}\n")
    lines = wrapped.splitlines()
    assert lines[0] == "Kurz." and lines[1] == ""
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith("  ") for line in lines[3:])


def test_wrap_never_breaks_a_url() -> None:
    url = "https://example.org/" + "a" * 90
    assert url in wrap_text(f"Siehe {url} bitte.")


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


@pytest.mark.parametrize(
    "fields",
    [
        {"contact_name": "Käthe Schäfer", "salutation": "Frau", "title": "Dr."},
        {"note": "Ihr Beitrag über <KI> & Regulierung hat uns gefallen.", "country": "DE"},
        {"organisation": 'Zeitung "Morgen" & Co <b>', "website": "https://example.org/a?b=1&c=2"},
    ],
)
@pytest.mark.parametrize("type_key", ["media", "general", "lobby_group"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_cached_inlining_equals_inlining_each_email(
    settings: Settings, fields: dict[str, str], type_key: str, language: str
) -> None:
    renderer = Renderer(templates_dir(), settings)
    target = contact(**fields)
    renderer.render(contact(organisation="Warm-up GmbH"), kind(type_key), language)
    cached = renderer.render(target, kind(type_key), language)
    person = parse_person(target.contact_name, target.salutation, target.title, target.country)
    shared, personal = renderer.context(target, kind(type_key), language, person)
    html_template = renderer._html_env.get_template("body.html.j2")
    direct = inline_css(html_template.render({**shared, **personal, "subject": cached.subject}))
    assert same_document(cached.html, direct)


def same_document(a: str, b: str) -> bool:
    """Equal after parsing: the cache escapes '"' as &#34; where lxml writes it bare."""
    import lxml.html

    def canonical(text: str) -> bytes:
        return bytes(lxml.html.tostring(lxml.html.document_fromstring(text), encoding="utf-8"))

    return canonical(a) == canonical(b) and a.startswith("<!DOCTYPE html>") == b.startswith(
        "<!DOCTYPE html>"
    )


def test_a_template_filter_on_a_personal_value_falls_back_to_direct_inlining(
    tmp_path: Path, settings: Settings
) -> None:
    lowered = "<p>{{ greeting | lower }}</p>"
    folder = edited_templates(
        tmp_path, "body.html.j2", lambda text: text.replace("<p>{{ greeting }}</p>", lowered)
    )
    renderer = Renderer(folder, settings)
    email = renderer.render(contact(contact_name="Jane Roe", salutation="Ms"), kind("media"), "en")
    assert "dear ms roe," in email.html
    assert "qxoutreach" not in email.html.lower()


def test_html_is_inlined_and_keeps_the_doctype(settings: Settings) -> None:
    email = Renderer(templates_dir(), settings).render(contact(), kind("media"), "de")
    assert email.html.startswith("<!DOCTYPE html>")
    assert '<td class="content" style="' in email.html
    assert "@media" in email.html  # kept for small screens
    assert 'lang="de"' in email.html


def test_every_personal_value_of_the_context_is_known_as_personal(settings: Settings) -> None:
    renderer = Renderer(templates_dir(), settings)
    target = contact(contact_name="Jane Roe")
    person = parse_person(target.contact_name, target.salutation, target.title, target.country)
    _shared, personal = renderer.context(target, kind("media"), "en", person)
    assert set(personal) == PERSONAL


@pytest.mark.parametrize("name", ["subject.txt.j2", "body.txt.j2", "body.html.j2"])
def test_the_shipped_templates_are_rendered_once_per_variant(name: str) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())))
    assert prints_values_only(env, name, PERSONAL | {"subject"})


@pytest.mark.parametrize(
    ("source", "by_variant"),
    [
        ("{{ note }} {{ extra.Ort }} {{ extra['Ort'] }}", True),
        ("{% if not note %}-{% elif note and organisation %}{{ note }}{% endif %}", True),
        ("{% for o in offers %}{{ o.title }}{% endfor %}{{ greeting }}", True),
        ("{{ greeting | lower }}", False),
        ('{% if country == "Deutschland" %}Hallo{% endif %}', False),
        ("{% if note|length > 20 %}lang{% endif %}", False),
        ("{{ note if note else 'x' }}", False),
        ("{% set n = note %}{{ n }}", False),
        ("{% for note in offers %}{{ note }}{% endfor %}", False),
        ("{{ extra }}", False),
        ("{{ organisation ~ '!' }}", False),
        ("{{ organisation.upper() }}", False),
        ('{% include "other.j2" %}', False),
        ("{% macro m(x) %}{{ x }}{% endmacro %}{{ m(note) }}", False),
        ("{% filter upper %}{{ note }}{% endfilter %}", False),
        ("{% set x %}{{ note }}{% endset %}{{ x | upper }}", False),
        ("{% block b %}{{ note }}{% endblock %}{{ self.b() | upper }}", False),
        ("{% autoescape false %}{{ note }}{% endautoescape %}", False),
        ("{% with x = note %}{{ x }}{% endwith %}", False),
        ("{{ note | safe }}", False),
    ],
)
def test_a_template_is_rendered_per_variant_only_when_it_just_prints_values(
    source: str, by_variant: bool
) -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.j2": source, "other.j2": "x"}))
    assert prints_values_only(env, "t.j2", PERSONAL) is by_variant


def test_a_template_that_compares_a_value_renders_each_email_on_its_own(
    tmp_path: Path, settings: Settings
) -> None:
    test = '{% if country == "Schweiz" %}Grüezi!{% else %}Guten Tag!{% endif %}\n'
    folder = edited_templates(tmp_path, "body.txt.j2", lambda text: test + text)
    renderer = Renderer(folder, settings)
    first = renderer.render(contact(country="Deutschland"), kind("media"), "de")
    second = renderer.render(contact(country="Schweiz"), kind("media"), "de")
    assert first.text.startswith("Guten Tag!") and second.text.startswith("Grüezi!")


@pytest.mark.parametrize("type_key", ["media", "general", "policymaker"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_per_variant_text_and_subject_equal_rendering_each_email(
    settings: Settings, type_key: str, language: str
) -> None:
    renderer = Renderer(templates_dir(), settings)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    people = [
        {"contact_name": "Käthe Schäfer", "salutation": "Frau", "title": "Dr."},
        {"note": "Mit Interesse {{ 7*7 }} lasen wir QXOUTREACH0000QX.", "country": "AT"},
        {"organisation": "", "contact_name": "Jo Doe", "description": "a\nb"},
        {"organisation": "A & B <i>"},
    ]
    for fields in people:
        target = contact(**fields)
        email = renderer.render(target, kind(type_key), language)
        person = parse_person(target.contact_name, target.salutation, target.title, target.country)
        shared, personal = renderer.context(target, kind(type_key), language, person)
        subject = env.get_template("subject.txt.j2").render({**shared, **personal})
        text = env.get_template("body.txt.j2").render({**shared, **personal})
        assert email.subject == " ".join(subject.split())
        assert email.text == wrap_text(text)


def test_variants_with_the_same_html_skeleton_are_inlined_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import outreach.compose.render as render_module

    inlined: list[str] = []

    def counting(html: str) -> str:
        inlined.append(html)
        return inline_css(html)

    monkeypatch.setattr(render_module, "inline_css", counting)
    renderer = Renderer(templates_dir(), settings)
    # The HTML template prints neither the website nor the description: one skeleton.
    for fields in ({}, {"website": "https://example.org"}, {"description": "Zeitung"}):
        renderer.render(contact(**fields), kind("media"), "de")
    assert len(inlined) == 1


def test_a_value_in_an_html_attribute_goes_through_premailer_itself(
    tmp_path: Path, settings: Settings
) -> None:
    link = '<p><a href="{{ website }}">{{ website }}</a></p>\n</td></tr>'
    folder = edited_templates(
        tmp_path, "body.html.j2", lambda text: text.replace("</td></tr>", link, 1)
    )
    renderer = Renderer(folder, settings)
    target = contact(website="https://bücher.example.org/a b")
    email = renderer.render(target, kind("media"), "de")
    person = parse_person(target.contact_name, target.salutation, target.title, target.country)
    shared, personal = renderer.context(target, kind("media"), "de", person)
    template = renderer._html_env.get_template("body.html.j2")
    direct = inline_css(template.render({**shared, **personal, "subject": email.subject}))
    assert email.html == direct  # the URL is percent-encoded as premailer does it


@pytest.mark.parametrize("where", ["signature", "template"])
def test_token_text_in_shared_content_is_never_replaced_by_a_value(
    tmp_path: Path, settings: Settings, where: str
) -> None:
    literal = "QXOUTREACH0003QX"
    in_template = where == "template"
    folder = edited_templates(
        tmp_path, "body.txt.j2", lambda text: f"{literal}\n{text}" if in_template else text
    )
    if not in_template:
        settings = settings.model_copy(update={"signature_de": f"Gruß, {literal}"})
    renderer = Renderer(folder, settings)
    email = renderer.render(contact(organisation="Beispiel e.V."), kind("media"), "de")
    assert literal in email.text
