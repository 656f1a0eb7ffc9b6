"""Settings from the environment and a `.env` file, all prefixed `OUTREACH_`."""

import os
from collections.abc import Mapping
from email.utils import formataddr, parseaddr
from pathlib import Path

from dotenv import dotenv_values
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from outreach.errors import SettingsError
from outreach.ingest.cells import single_line

PREFIX = "OUTREACH_"


class Settings(BaseModel):
    """Everything the tool reads from its environment."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    from_: str
    reply_to: str = ""
    signature: str = ""
    signature_de: str = ""
    signature_en: str = ""
    templates: Path | None = None
    unsubscribe: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_cafile: Path | None = None
    smtp_timeout: float = 60.0
    db: Path = Path("outreach.db")
    rate: float = 0.0
    daily_limit: int = 0
    send_window: str = ""
    log_file: Path | None = None

    @field_validator("from_", "reply_to", "unsubscribe")
    @classmethod
    def _address(cls, value: str) -> str:
        if not value:
            return value
        if any(ch in value for ch in "\r\n"):
            raise ValueError("must be one line")
        name, address = parseaddr(value)
        try:
            checked = validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(f"{value!r} is not an address: {exc}") from None
        return formataddr((single_line(name), checked.normalized))

    @field_validator("smtp_security")
    @classmethod
    def _security(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("starttls", "ssl", "none"):
            raise ValueError(f"{value!r} must be starttls, ssl or none")
        return value

    @field_validator("rate")
    @classmethod
    def _non_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must be 0 (no limit) or more")
        return value

    @field_validator("smtp_timeout")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be a number of seconds above 0, such as 60")
        return value

    @property
    def from_address(self) -> str:
        """The bare sender address."""
        return parseaddr(self.from_)[1]

    @property
    def from_name(self) -> str:
        """The sender's display name, or ''."""
        return parseaddr(self.from_)[0]

    @property
    def reply_to_or_from(self) -> str:
        """Where replies go."""
        return self.reply_to or self.from_

    @property
    def unsubscribe_address(self) -> str:
        """The bare address that opt-out requests go to."""
        return parseaddr(self.unsubscribe or self.reply_to_or_from)[1]

    def signature_lines(self, language: str) -> list[str]:
        """The signature for a language, one item per line; defaults to the sender and PauseAI."""
        own = self.signature_de if language == "de" else self.signature_en
        text = own or self.signature or "\n".join(filter(None, (self.from_name, "PauseAI")))
        return [line.strip() for line in text.replace("\\n", "\n").splitlines() if line.strip()]


def load_settings(
    env_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read settings from `env_file` (default `.env` if present) overlaid by the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    path = env_file if env_file is not None else Path(".env")
    if env_file is not None and not path.is_file():
        raise SettingsError(f"settings file '{path}' not found")
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update({k: v for k, v in environ.items() if k.startswith(PREFIX)})
    fields = {_field_name(key): value for key, value in values.items() if key.startswith(PREFIX)}
    if not fields.get("from_"):
        raise SettingsError(
            "OUTREACH_FROM is not set: copy .env.example to .env and fill in the sender"
        )
    fields = {k: v for k, v in fields.items() if v != "" or k == "from_"}
    try:
        return Settings.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = PREFIX + str(first["loc"][0]).rstrip("_").upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None


def _field_name(key: str) -> str:
    name = key.removeprefix(PREFIX).lower()
    return "from_" if name == "from" else name
