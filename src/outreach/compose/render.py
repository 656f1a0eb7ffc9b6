"""Render the subject, text and HTML parts of one email from Jinja2 templates."""

import importlib
import logging
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from outreach.compose.content import Content, load_content
from outreach.compose.greeting import Person, greeting, parse_person
from outreach.errors import ContentError
from outreach.models import Classification, Contact
from outreach.settings import Settings
from outreach.variants import (
    TOKEN_TEXT,
    Tokenised,
    VariantCache,
    fill,
    html_quote,
    prints_values_only,
    probe,
    shared_text_has_tokens,
)

TEXT_WIDTH = 78
SUBJECT_TEMPLATE = "subject.txt.j2"
TEXT_TEMPLATE = "body.txt.j2"
HTML_TEMPLATE = "body.html.j2"
# The context values that differ from email to email; the rest is shared by a type and language.
PERSONAL = frozenset(
    {"greeting", "note", "organisation", "contact_name", "email", "website", "description",
     "country", "extra"}
)  # fmt: skip

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
    # The HTML as its variant's skeleton and values, when it was made so (for compact previews):
    # html == fill(html_skeleton, html_values, html_quote).
    html_skeleton: str = ""
    html_values: tuple[str, ...] = ()


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
            self._subject = _Part(self._text_env, SUBJECT_TEMPLATE, PERSONAL)
            self._text = _Part(self._text_env, TEXT_TEMPLATE, PERSONAL)
            self._html = _Part(
                self._html_env,
                HTML_TEMPLATE,
                PERSONAL | {"subject"},
                inline_css,
                html_quote,
                usable=values_only_in_text,
            )
        except jinja2.TemplateNotFound as exc:
            raise ContentError(f"template '{exc.name}' not found in {templates}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ContentError(f"{exc.filename}:{exc.lineno}: {exc.message}") from None
        except UnicodeDecodeError as exc:
            raise ContentError(
                f"{_not_utf8(templates)} is not UTF-8 text ({exc.reason} at byte {exc.start}): "
                "save it as UTF-8"
            ) from None
        # The first email needs premailer (0.1 s to import): a draft's workers import it here,
        # while the main process is still reading the first rows, not once those have arrived.
        importlib.import_module("premailer")
        self._content = {language: load_content(language, templates) for language in ("de", "en")}
        self._signatures = {
            language: settings.signature_lines(language) for language in self._content
        }
        self._sender = settings.from_name
        self._unsubscribe = settings.unsubscribe_address
        self._shared_by_variant: dict[tuple[str, str], dict[str, Any]] = {}

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
        variant = (language, classification.type)  # decides every shared value
        tokenised = Tokenised.of(personal)
        try:
            subject, _ = self._subject.render(variant, shared, personal, tokenised)
            subject = " ".join(subject.split())
            text, _ = self._text.render(variant, shared, personal, tokenised)
            with_subject = tokenised.adding("subject", subject)
            html, skeleton = self._html.render(
                variant, shared, {**personal, "subject": subject}, with_subject
            )
        except jinja2.TemplateError as exc:
            raise ContentError(f"template error: {exc}") from None
        values = tuple(with_subject.values) if skeleton else ()
        name = recipient_name(contact, person)
        return RenderedEmail(subject, wrap_text(text), html, name, skeleton, values)

    def _shared(self, language: str, type_key: str) -> dict[str, Any]:
        """The values every email of one language and type shares (made once; read only)."""
        if shared := self._shared_by_variant.get((language, type_key)):
            return shared
        content = self.content(language)
        return self._shared_by_variant.setdefault(
            (language, type_key),
            {
                "t": content,
                "language": language,
                "type": type_key,
                "lead": content.block(type_key).lead,
                "offers": tuple(content.highlights(type_key)),  # shared: read only
                "signature": self._signatures[language],
                "sender": self._sender,
                "unsubscribe": self._unsubscribe,
            },
        )

    def context(
        self,
        contact: Contact,
        classification: Classification,
        language: str,
        person: Person | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Build the template context: values shared by a whole variant, and personal values."""
        shared = self._shared(language, classification.type)
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


class _Part:
    """One template of the email, rendered once per variant where its use of values allows."""

    def __init__(
        self,
        env: jinja2.Environment,
        name: str,
        personal: frozenset[str],
        finish: Callable[[str], str] = str,
        quote: Callable[[str], str] = str,
        usable: Callable[[str], bool] = lambda skeleton: True,
    ) -> None:
        self.template = env.get_template(name)
        self._by_variant = prints_values_only(env, name, personal)
        self._skeletons = VariantCache(
            lambda skeleton: finish(skeleton) if usable(skeleton) else None
        )
        self._finish = finish
        self._quote = quote

    def render(
        self,
        variant: tuple[str, str],
        shared: dict[str, Any],
        personal: dict[str, Any],
        tokenised: Tokenised,
    ) -> tuple[str, str]:
        """This email's part, and the skeleton it was filled in from ("": rendered in full)."""
        skeleton = self.skeleton(variant, shared, tokenised)
        if skeleton is None:
            return self._finish(self.template.render({**shared, **personal})), ""
        return fill(skeleton, tokenised.values, self._quote), skeleton

    def skeleton(
        self, variant: tuple[str, str], shared: dict[str, Any], tokenised: Tokenised
    ) -> str | None:
        """The variant's finished skeleton; None when this template renders each email in full."""
        if not self._by_variant or tokenised.key is None:
            return None
        tokens = tokenised.tokens

        def render() -> str | None:
            if shared_text_has_tokens(self.template.render({**shared, **probe(tokens)})):
                return None
            return self.template.render({**shared, **tokens})

        return self._skeletons.skeleton((variant, tokenised.key), render)


# Where premailer and lxml rewrite text (URLs in attributes are percent-encoded, style and script
# are parsed), a value must go through them itself: such a variant renders each email in full.
_TOKEN_IN_MARKUP = re.compile(
    rf"<[^<>]*{TOKEN_TEXT}[^<>]*>"
    rf"|<(?P<raw>style|script)\b[^>]*>(?:(?!</(?P=raw)>).)*?{TOKEN_TEXT}"
    rf"|<!--(?:(?!-->).)*?{TOKEN_TEXT}",
    re.IGNORECASE | re.DOTALL,
)


def values_only_in_text(skeleton: str) -> bool:
    """True when every token of an HTML skeleton is in element text, not in a tag or comment."""
    return _TOKEN_IN_MARKUP.search(skeleton) is None


def _not_utf8(templates: Path) -> Path:
    """The first template file in `templates` that is not UTF-8 (the folder if none is)."""
    for path in sorted(templates.glob("*.j2")):
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            return path
    return templates


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
