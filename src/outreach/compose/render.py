"""Render the subject, text and HTML parts of one email from Jinja2 templates."""

import logging
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from outreach.classify.language import american_usage
from outreach.compose.content import Content, Templates, load_content
from outreach.compose.greeting import greeting
from outreach.compose.inline import inline_css, same_document
from outreach.compose.names import english_the, name_forms, plain_name
from outreach.compose.person import Person, is_role, parse_person
from outreach.errors import ContentError
from outreach.models import Classification, Contact
from outreach.settings import Settings

log = logging.getLogger(__name__)

LANGUAGES = ("de", "en")
TEXT_WIDTH = 72  # RFC 3676 recommends 66 to 72 for format=flowed
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_TRAILING_TEAM = re.compile(r"\s+team$", re.IGNORECASE)

# Words that may open a German sentence but are written in lower case after the salutation comma.
_GERMAN_LOWERCASE_OPENERS = frozenset(
    "als am an auf aus bei da damit dass dein der die das durch ein eine einem einen einer "
    "es gerne gestern heute ich im in kürzlich mit nach neulich seit unser unsere vielen "
    "vor wie wir zu zum zur".split()
)
# Rows with every field filled and with none, to check that a template's CSS can be inlined
# ahead of time.
_BARE = Contact(row=3, email="info@example.org", organisation="Beispiel")
_SAMPLE = Contact(
    row=2, email="kim.muster@example.org", organisation="Muster & Söhne „Zukunft“ e.V.",
    contact_name="Dr. Kim Muster", salutation="Frau", title="Dr.", country="Deutschland",
    website="https://example.org/a?b=1&c=2", description="<Beschreibung> mit 'Zeichen'",
    note="Ihr Beitrag über <KI> & \"Sicherheit\" hat uns gefallen.",
)  # fmt: skip


@dataclass(frozen=True)
class RenderedEmail:
    """The rendered parts of one email, and whom it addresses."""

    subject: str
    text: str
    html: str
    recipient_name: str


class _Html:
    """The HTML template: its CSS inlined once when loaded, or by premailer for every email."""

    def __init__(self, env: jinja2.Environment, name: str) -> None:
        self._template = env.get_template(name)
        self._inlined: jinja2.Template | None = None
        assert env.loader is not None
        source = env.loader.get_source(env, name)[0]
        try:
            self._inlined = env.from_string(inline_css(source))
        except Exception as exc:  # premailer or Jinja could not take the inlined source
            log.debug("inlining %s ahead of time failed: %s", name, exc)

    def render(self, context: dict[str, Any]) -> str:
        if self._inlined is not None:
            return self._inlined.render(context)
        return inline_css(self._template.render(context))

    def check(self, samples: list[dict[str, Any]], name: str) -> None:
        """Fall back to premailer per email unless both ways give the same document."""
        for context in samples:
            expected = inline_css(self._template.render(context))  # the template's errors raise
            try:
                inlined = self._inlined.render(context) if self._inlined is not None else None
            except jinja2.TemplateError:
                inlined = None
            if inlined is None or not same_document(inlined, expected):
                break
        else:
            return
        log.warning(
            "%s: its CSS cannot be inlined once for all emails; premailer runs for each email", name
        )
        self._inlined = None


@dataclass(frozen=True)
class _Parts:
    """The three compiled templates of one language."""

    subject: jinja2.Template
    text: jinja2.Template
    html: _Html


class Renderer:
    """Renders emails; holds the compiled templates and the content of each language."""

    def __init__(self, templates: Path, settings: Settings) -> None:
        options: dict[str, Any] = {
            "loader": jinja2.FileSystemLoader(str(templates)),
            "undefined": jinja2.StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
        }
        self._text_env = jinja2.Environment(autoescape=False, **options)  # plain text: no escaping
        self._html_env = jinja2.Environment(autoescape=True, **options)
        self._content = {language: load_content(language, templates) for language in LANGUAGES}
        # What the settings give every email, worked out once (the properties parse addresses).
        self._sender = {"sender": settings.from_name, "unsubscribe": settings.unsubscribe_address}
        self._signatures = {language: settings.signature_lines(language) for language in LANGUAGES}
        loaded: dict[Templates, _Parts] = {}
        self._parts: dict[str, _Parts] = {}
        for language, content in self._content.items():
            names = content.templates
            if names not in loaded:
                loaded[names] = self._load(names, templates)
                html = loaded[names].html
                samples = [
                    {**self.context(contact, _sample(), language), "subject": "Sample"}
                    for contact in (_SAMPLE, _BARE)
                ]
                try:
                    html.check(samples, names.html)
                except jinja2.TemplateError as exc:
                    raise ContentError(f"{names.html}: {exc}") from None
            self._parts[language] = loaded[names]

    def _load(self, names: Templates, folder: Path) -> _Parts:
        try:
            return _Parts(
                self._text_env.get_template(names.subject),
                self._text_env.get_template(names.text),
                _Html(self._html_env, names.html),
            )
        except jinja2.TemplateNotFound as exc:
            raise ContentError(f"template '{exc.name}' not found in {folder}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ContentError(f"{exc.filename}:{exc.lineno}: {exc.message}") from None
        except UnicodeDecodeError as exc:
            raise ContentError(
                f"{_not_utf8(folder)} is not UTF-8 text ({exc.reason} at byte {exc.start}): "
                "save it as UTF-8"
            ) from None

    def content(self, language: str) -> Content:
        """The email content for a language."""
        return self._content[language]

    def render(
        self, contact: Contact, classification: Classification, language: str
    ) -> RenderedEmail:
        """Render one email; raises ContentError when a template cannot be rendered."""
        parts = self._parts[language]
        context = self.context(contact, classification, language)
        try:
            context["subject"] = " ".join(parts.subject.render(context).split())
            text = parts.text.render(context)
            html = parts.html.render(context)
        except jinja2.TemplateError as exc:
            raise ContentError(f"template error: {exc}") from None
        name = recipient_name(contact, context["person"], context["name"])
        return RenderedEmail(context["subject"], flowed(text), html, name)

    def context(
        self, contact: Contact, classification: Classification, language: str
    ) -> dict[str, Any]:
        """The template context of one email: the content, the sender and the contact's values."""
        content = self.content(language)
        person = parse_person(
            contact.contact_name, contact.salutation, contact.title, contact.country
        )
        kind = classification.type
        organisation = _plain(contact.organisation)
        names = name_forms(organisation, language) if organisation else None
        opening = contact.note or content.opening(kind, names)
        return {
            "t": content,
            "language": language,
            "type": kind,
            "type_subject": content.subject(kind, names),
            "offers": content.highlights(kind),
            "proposal": content.block(kind).proposal,
            "signature": self._signatures[language],
            **self._sender,
            "greeting": greeting_line(contact, person, content, kind, (organisation, names)),
            "opening": opening_note(opening, language),
            "note": contact.note,
            "organisation": contact.organisation,
            "name": organisation,
            "contact_name": contact.contact_name,
            "email": contact.email,
            "website": contact.website,
            "description": contact.description,
            "country": contact.country,
            "extra": dict(contact.extra),
            "person": person,
        }


def greeting_line(
    contact: Contact,
    person: Person | None,
    content: Content,
    kind: str,
    named: tuple[str, dict[str, str] | None] | None = None,
) -> str:
    """The greeting of one email: the person, else their office, else the type's team greeting.

    `named` is the organisation's plain name and its name forms, when the caller has them.
    """
    if named is None:
        organisation = _plain(contact.organisation)
        named = organisation, name_forms(organisation, content.language) if organisation else None
    return greeting(
        person,
        content.language,
        team=content.team_greeting(kind, _team_names(*named, content.language)),
        role="" if person is not None else contact.contact_name,
        country=contact.country,
        american=american_usage(contact.country, contact.email),
    )


def _team_names(
    organisation: str, names: dict[str, str] | None, language: str
) -> dict[str, str] | None:
    """The name forms for greeting a team; None when the name reads as an office, not a team."""
    name = _TRAILING_TEAM.sub("", organisation)
    if language == "en":
        name = _LEADING_THE.sub("", name)
    if name == organisation:
        return None if not name or is_role(name) else names  # "Dear Office of Senator X team"
    if not name:
        return None
    forms = name_forms(name, language)
    if language == "en":
        forms["the_name"] = english_the(organisation)  # "Dear friends at The Weekly Circuit,"
    return forms


def _sample() -> Classification:
    return Classification(type="general", confidence=0.0)


def _not_utf8(templates: Path) -> Path:
    """The first template file in `templates` that is not UTF-8 (the folder if none is)."""
    for path in sorted(templates.glob("*.j2")):
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            return path
    return templates


def _plain(organisation: str) -> str:
    """The organisation's name without desk and platform labels ('' when there is none)."""
    return plain_name(organisation) if organisation else ""


def recipient_name(contact: Contact, person: Person | None, organisation: str | None = None) -> str:
    """The display name in To: the person's name without titles, else the organisation.

    `organisation` is the organisation's plain name, when the caller has worked it out.
    """
    if person is None:
        return _plain(contact.organisation) if organisation is None else organisation
    return " ".join(filter(None, (person.given, person.surname))) or contact.contact_name


def opening_note(note: str, language: str) -> str:
    """The personal note as it follows the salutation: in German, a function word is lower-cased."""
    if language != "de" or not note:
        return note
    first, _, rest = note.partition(" ")
    if first.casefold() in _GERMAN_LOWERCASE_OPENERS and first[:1].isupper():
        return f"{first[0].lower()}{first[1:]} {rest}".rstrip()
    return note


def flowed(text: str, width: int = TEXT_WIDTH) -> str:
    """The text as format=flowed (RFC 3676): long lines end in a space where they continue."""
    lines = [
        _flow_line(line.rstrip(" ") if line != "-- " else line, width) for line in text.splitlines()
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


@lru_cache(maxsize=4096)  # most long lines (about PauseAI, the offers) recur in every email
def _flow_line(line: str, width: int) -> str:
    """One paragraph as flowed lines, space-stuffed where a reader would misread its start."""
    if len(line) <= width:
        parts = [line]
    else:
        parts = textwrap.wrap(line, width=width, break_long_words=False, break_on_hyphens=False)
        parts = [f"{part} " for part in parts[:-1]] + parts[-1:]
    return "\n".join(f" {part}" if part.startswith((" ", ">", "From ")) else part for part in parts)
