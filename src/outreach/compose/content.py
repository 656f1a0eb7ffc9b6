"""The editable email content (selling points, offers per type) and its validated loader."""

import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from outreach.classify.orgtypes import GENERAL, ORG_TYPES
from outreach.compose.names import PLACEHOLDERS
from outreach.errors import ContentError

USP_PREFIX = "usp:"
MAX_SUBJECT = 78
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _text(value: str) -> str:
    """Fold whitespace runs into single spaces and reject an empty text."""
    folded = " ".join(value.split())
    if not folded:
        raise ValueError("must not be empty")
    return folded


Text = Annotated[str, AfterValidator(_text)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class _Strict(BaseModel):
    """Base model: immutable, and unknown keys (typos) are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Offer(_Strict):
    """One thing PauseAI offers (or one of its selling points), as a sentence."""

    key: Key
    seed: Text | None = None
    text: Text


class TypeBlock(_Strict):
    """What the email says to one kind of partner."""

    heading: Text
    subject: Text
    subject_person: Text | None = None
    opening: Text
    opening_person: Text | None = None
    team_greeting: Text | None = None
    proposal: Text
    offers: list[Offer] = []
    highlight: list[Text] = Field(min_length=2, max_length=3)


class About(_Strict):
    """Who PauseAI is and what it asks for, with its website."""

    about: list[Text] = Field(min_length=1, max_length=2)
    more: Text
    website: Text

    @property
    def website_label(self) -> str:
        """The website as a link shows it: 'pauseai.info'."""
        return self.website.split("//", 1)[-1].rstrip("/")


class EmailTexts(_Strict):
    """The fixed texts of every email in one language."""

    team_greeting: Text
    offers_intro: Text
    closing: Text
    opt_out: Text


class Templates(_Strict):
    """The Jinja2 template files (in the templates folder) that make each part of the email."""

    subject: Text = "subject.txt.j2"
    text: Text = "body.txt.j2"
    html: Text = "body.html.j2"


class Content(_Strict):
    """All email content of one language."""

    language: Text
    templates: Templates = Templates()
    pauseai: About
    selling_points: list[Offer] = Field(min_length=1)
    email: EmailTexts
    types: dict[str, TypeBlock]

    @model_validator(mode="after")
    def _check_consistency(self) -> "Content":
        """Require every type key, unique keys, highlights that resolve and known placeholders."""
        expected = [*ORG_TYPES, GENERAL]
        problems = [f"missing [types.{key}]" for key in expected if key not in self.types]
        problems += [
            f"unknown type key [types.{key}] (expected one of: {', '.join(expected)})"
            for key in self.types
            if key not in expected
        ]
        problems += _duplicates("selling_points", [usp.key for usp in self.selling_points])
        usps = {usp.key for usp in self.selling_points}
        allowed = PLACEHOLDERS.get(self.language, ("name",))
        problems += _placeholder_problems("email.team_greeting", self.email.team_greeting, allowed)
        for type_key, block in self.types.items():
            where = f"types.{type_key}"
            offers = [offer.key for offer in block.offers]
            problems += _duplicates(f"{where}.offers", offers)
            problems += _duplicates(f"{where}.highlight", block.highlight)
            for ref in block.highlight:
                is_usp = ref.startswith(USP_PREFIX)
                if (ref.removeprefix(USP_PREFIX) in usps) if is_usp else (ref in offers):
                    continue
                known = [*offers, *(USP_PREFIX + key for key in sorted(usps))]
                problems.append(
                    f"{where}.highlight: unknown key {ref!r} (known: {', '.join(known)})"
                )
            for field, text in (("subject", block.subject), ("opening", block.opening)):
                problems += _placeholder_problems(f"{where}.{field}", text, allowed)
                if placeholders(text) and getattr(block, f"{field}_person") is None:
                    problems.append(
                        f"{where}: {field} names the organisation, so {field}_person is needed "
                        "for rows without one"
                    )
            if block.team_greeting is not None:
                problems += _placeholder_problems(
                    f"{where}.team_greeting", block.team_greeting, allowed
                )
            fixed: list[tuple[str, str | None]] = [
                ("subject_person", block.subject_person),
                ("opening_person", block.opening_person),
                ("proposal", block.proposal),
            ]
            fixed += [(f"offers[{offer.key}]", offer.text) for offer in block.offers]
            for field, value in fixed:
                if value is not None and placeholders(value):
                    problems.append(f"{where}.{field}: no placeholder is allowed here")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def block(self, type_key: str) -> TypeBlock:
        """The block of one type key; ContentError when the content has none."""
        try:
            return self.types[type_key]
        except KeyError:
            raise ContentError(f"no content for type {type_key!r} ({self.language})") from None

    def highlights(self, type_key: str) -> list[str]:
        """The texts of a type's highlighted offers and selling points, in their order."""
        block = self.block(type_key)
        offers = {offer.key: offer for offer in block.offers}
        usps = {USP_PREFIX + usp.key: usp for usp in self.selling_points}
        return [(offers[ref] if ref in offers else usps[ref]).text for ref in block.highlight]

    def subject(self, type_key: str, names: dict[str, str] | None) -> str:
        """The subject for a type: with the organisation's name, or the one for persons.

        A subject that a long name makes longer than a phone shows takes the one for persons.
        """
        block = self.block(type_key)
        subject = _fill(block.subject, block.subject_person, names)
        if len(subject) > MAX_SUBJECT and block.subject_person:
            return block.subject_person
        return subject

    def opening(self, type_key: str, names: dict[str, str] | None) -> str:
        """The opening sentence for a type when the row gives no personal note."""
        block = self.block(type_key)
        return _fill(block.opening, block.opening_person, names)

    def team_greeting(self, type_key: str, names: dict[str, str] | None) -> str | None:
        """The greeting of a team (no person to greet); None when it needs a name there is not."""
        text = self.block(type_key).team_greeting or self.email.team_greeting
        if placeholders(text) and names is None:
            return None
        return _fill(text, None, names)


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(text: str) -> list[str]:
    """The placeholders ({name}, {mit_name}, …) a content text uses."""
    return _PLACEHOLDER.findall(text)


def _placeholder_problems(where: str, text: str, allowed: tuple[str, ...]) -> list[str]:
    """Problems for unknown placeholders and stray braces in one text."""
    unknown = [name for name in placeholders(text) if name not in allowed]
    problems = [
        f"{where}: unknown placeholder {{{name}}} (known: {', '.join(allowed)})" for name in unknown
    ]
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        problems.append(f"{where}: a brace without its pair")
    return problems


def _fill(text: str, without_name: str | None, names: dict[str, str] | None) -> str:
    """The text with its placeholders filled, or its variant for rows without a name."""
    if names is None:
        return without_name or text
    return _PLACEHOLDER.sub(lambda match: names[match[1]], text)


def _duplicates(where: str, keys: list[str]) -> list[str]:
    """Problems for keys that occur more than once in one list."""
    seen = sorted({key for key in keys if keys.count(key) > 1})
    return [f"{where}: duplicate key {key!r}" for key in seen]


def templates_dir(explicit: Path | None = None) -> Path:
    """The templates folder: explicit, else $OUTREACH_TEMPLATES, else installed, else checkout."""
    if explicit is not None:
        return _existing_dir(Path(explicit).expanduser(), "templates folder")
    from_env = os.environ.get("OUTREACH_TEMPLATES", "").strip()
    if from_env:
        return _existing_dir(Path(from_env).expanduser(), "OUTREACH_TEMPLATES")
    packaged = Path(str(resources.files("outreach") / "templates" / "emails"))
    checkout = Path(__file__).resolve().parents[3] / "templates" / "emails"
    for candidate in (packaged, checkout):
        if candidate.is_dir():
            return candidate
    raise ContentError(f"no email templates in {packaged} or {checkout}; set OUTREACH_TEMPLATES")


def _existing_dir(path: Path, what: str) -> Path:
    """Return path when it is a folder, else raise ContentError."""
    if not path.is_dir():
        raise ContentError(f"{what} {str(path)!r} is not a folder")
    return path


def load_content(language: str, directory: Path | None = None) -> Content:
    """Load and validate `content.<language>.toml`."""
    if not _LANGUAGE.match(language):
        raise ContentError(f"invalid content language {language!r}: use a code such as 'de'")
    path = (templates_dir(directory) / f"content.{language}.toml").resolve()
    if not path.is_file():
        raise ContentError(f"{path}: content file for language {language!r} not found")
    return _load(path, language)


def _load(path: Path, language: str) -> Content:
    """Parse and validate one content file."""
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: invalid TOML: {exc}") from None
    try:
        content = Content.model_validate(raw)
    except ValidationError as exc:
        raise ContentError(f"{path}: {_describe(exc, raw)}") from None
    if content.language != language:
        raise ContentError(f"{path}: language is {content.language!r}, expected {language!r}")
    return content


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """One line for validation errors: where in the file (offers by key) and what is wrong."""
    parts = []
    for error in exc.errors():
        where, node = "", data
        for part in error["loc"]:
            node = _child(node, part)
            label = node.get("key", part) if isinstance(node, dict) else part
            where += f"[{label}]" if isinstance(part, int) else f".{part}"
        where = where.lstrip(".")
        message = _MESSAGES.get(error["type"], error["msg"].removeprefix("Value error, "))
        parts.append(f"{where}: {message}" if where else message)
    more = f" (and {len(parts) - 5} more)" if len(parts) > 5 else ""
    return "; ".join(parts[:5]) + more


def _child(node: Any, part: int | str) -> Any:
    """The entry of a TOML table or array, or None when it is absent."""
    try:
        return node[part]
    except (KeyError, IndexError, TypeError):
        return None


_MESSAGES = {"missing": "missing", "extra_forbidden": "unknown key (typo?)"}
