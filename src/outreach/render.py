"""Render the subject, text and HTML parts of one email from Jinja2 templates."""

import logging
import re
import textwrap
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape

from .content import Content, load_content
from .errors import ContentError
from .models import Classification, Contact
from .salutation import Person, greeting, parse_person
from .settings import Settings

TEXT_WIDTH = 78
_MAX_VARIANTS = 1024
SUBJECT_TEMPLATE = "subject.txt.j2"
TEXT_TEMPLATE = "body.txt.j2"
HTML_TEMPLATE = "body.html.j2"

# Personal values are replaced by these tokens while premailer inlines the CSS, so that its
# (slow) output can be reused for every email with the same structure. Tokens are plain
# ASCII letters and digits, which premailer and lxml pass through unchanged.
_TOKEN = "QXOUTREACH{:04d}QX"
_TOKEN_PATTERN = re.compile(r"QXOUTREACH(\d{4})QX")
_ANY_TOKEN = re.compile(r"qxoutreach", re.IGNORECASE)

# Words that may open a German sentence but are written in lower case after the salutation comma.
_GERMAN_LOWERCASE_OPENERS = frozenset(
    "als am an auf aus bei da damit dass dein der die das durch ein eine einem einen einer "
    "es gerne gestern heute ich im in kürzlich mit nach neulich seit unser unsere vielen "
    "vor wie wir zu zum zur".split()
)


@dataclass(frozen=True)
class RenderedEmail:
    """The rendered parts of one email, and whom it addresses."""

    subject: str
    text: str
    html: str
    recipient_name: str


class Renderer:
    """Renders emails; holds the compiled templates, the content and the inlined-CSS cache."""

    def __init__(self, templates: Path, settings: Settings) -> None:
        loader = jinja2.FileSystemLoader(str(templates))
        options: dict[str, Any] = {
            "loader": loader,
            "undefined": jinja2.StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
        }
        self._text_env = jinja2.Environment(autoescape=False, **options)  # plain text: no escaping
        self._html_env = jinja2.Environment(autoescape=True, **options)
        try:
            self._subject = self._text_env.get_template(SUBJECT_TEMPLATE)
            self._text = self._text_env.get_template(TEXT_TEMPLATE)
            self._html = self._html_env.get_template(HTML_TEMPLATE)
        except jinja2.TemplateNotFound as exc:
            raise ContentError(f"template '{exc.name}' not found in {templates}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ContentError(f"{exc.filename}:{exc.lineno}: {exc.message}") from None
        self._inlined: dict[str, str | None] = {}
        self._content = {language: load_content(language, templates) for language in ("de", "en")}
        self._signatures = {
            language: settings.signature_lines(language) for language in self._content
        }
        self._sender = settings.from_name
        self._unsubscribe = settings.unsubscribe_address

    def content(self, language: str) -> Content:
        """The email content for a language."""
        return self._content[language]

    def render(
        self, contact: Contact, classification: Classification, language: str
    ) -> RenderedEmail:
        """Render one email; raises ContentError when a template cannot be rendered."""
        person = parse_person(
            contact.contact_name, contact.salutation, contact.title, contact.country
        )
        shared, personal = self.context(contact, classification, language, person)
        try:
            subject = " ".join(self._subject.render({**shared, **personal}).split())
            text = wrap_text(self._text.render({**shared, **personal}))
            html = self._render_html(shared, personal, subject)
        except jinja2.TemplateError as exc:
            raise ContentError(f"template error: {exc}") from None
        return RenderedEmail(subject, text, html, recipient_name(contact, person))

    def context(
        self,
        contact: Contact,
        classification: Classification,
        language: str,
        person: Person | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Build the template context: values shared by a whole variant, and personal values."""
        content = self.content(language)
        block = content.block(classification.type)
        shared: dict[str, Any] = {
            "t": content,
            "language": language,
            "type": classification.type,
            "lead": block.lead,
            "offers": content.highlights(classification.type),
            "signature": self._signatures[language],
            "sender": self._sender,
            "unsubscribe": self._unsubscribe,
        }
        personal: dict[str, Any] = {
            "greeting": greeting(person, language, contact.organisation, contact.country),
            "note": opening_note(contact.note, language),
            "organisation": contact.organisation,
            "contact_name": contact.contact_name,
            "email": contact.email,
            "website": contact.website,
            "description": contact.description,
            "country": contact.country,
            "extra": dict(contact.extra),
        }
        return shared, personal

    def _render_html(self, shared: dict[str, Any], personal: dict[str, Any], subject: str) -> str:
        values: list[str] = []
        tokens = _tokenise({**personal, "subject": subject}, values)
        skeleton = self._html.render({**shared, **tokens})
        if skeleton not in self._inlined:
            if len(self._inlined) >= _MAX_VARIANTS:
                self._inlined.clear()
            self._inlined[skeleton] = _inline_skeleton(skeleton)
        inlined = self._inlined[skeleton]
        if inlined is None:  # a template filter altered a token: inline this email on its own
            return inline_css(self._html.render({**shared, **personal, "subject": subject}))
        return _TOKEN_PATTERN.sub(lambda m: str(escape(values[int(m.group(1))])), inlined)


def _tokenise(values: Mapping[str, Any], collected: list[str]) -> dict[str, Any]:
    """Replace every non-empty string (nested in dicts too) by a token, collecting the originals."""
    result: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str) and value:
            result[key] = _TOKEN.format(len(collected))
            collected.append(value)
        elif isinstance(value, Mapping):
            result[key] = _tokenise(value, collected)
        else:
            result[key] = value
    return result


def _inline_skeleton(skeleton: str) -> str | None:
    """Inline a tokenised page; None when the tokens did not all pass through intact."""
    if len(_TOKEN_PATTERN.findall(skeleton)) != len(_ANY_TOKEN.findall(skeleton)):
        return None
    inlined = inline_css(skeleton)
    if Counter(_TOKEN_PATTERN.findall(inlined)) != Counter(_TOKEN_PATTERN.findall(skeleton)):
        return None
    return inlined


def inline_css(html: str) -> str:
    """Inline the `<style>` rules into the tags with premailer (kept for `@media`)."""
    from premailer import Premailer

    return str(
        Premailer(
            html,
            strip_important=False,
            disable_validation=True,
            allow_network=False,
            keep_style_tags=False,
            remove_classes=False,
            cssutils_logging_level=logging.CRITICAL,
        ).transform(pretty_print=False)
    )


def recipient_name(contact: Contact, person: Person | None) -> str:
    """The display name in To: the person's name without titles, else the organisation."""
    if person is None:
        return contact.organisation
    return " ".join(filter(None, (person.given, person.surname))) or contact.contact_name


def opening_note(note: str, language: str) -> str:
    """The personal note as it follows the salutation: in German, a function word is lower-cased."""
    if language != "de" or not note:
        return note
    first, _, rest = note.partition(" ")
    if first.casefold() in _GERMAN_LOWERCASE_OPENERS and first[:1].isupper():
        return f"{first[0].lower()}{first[1:]} {rest}".rstrip()
    return note


def wrap_text(text: str, width: int = TEXT_WIDTH) -> str:
    """Wrap every line longer than `width`, with a hanging indent for list items."""
    lines = [line if len(line) <= width else _wrap_line(line, width) for line in text.splitlines()]
    return "\n".join(lines).rstrip("\n") + "\n"


@lru_cache(maxsize=4096)  # most long lines (about PauseAI, the offers) recur in every email
def _wrap_line(line: str, width: int) -> str:
    indent = "  " if line.startswith(("- ", "* ")) else ""
    return "\n".join(
        textwrap.wrap(
            line,
            width=width,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
    )
