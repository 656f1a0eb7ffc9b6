"""The validated records that flow through the pipeline."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from outreach.classify.orgtypes import describe_valid_labels, resolve_type_label
from outreach.ingest.addresses import ascii_address, valid_address
from outreach.ingest.cells import multi_line, single_line

MAX_NAME = 200  # characters: a name goes into the To and Subject headers


def _short(value: str) -> str:
    if len(value) > MAX_NAME:
        raise ValueError(f"is {len(value)} characters long; at most {MAX_NAME} fit an email header")
    return value


SingleLine = Annotated[str, AfterValidator(single_line)]
Name = Annotated[str, AfterValidator(single_line), AfterValidator(_short)]
MultiLine = Annotated[str, AfterValidator(multi_line)]


class Contact(BaseModel):
    """One usable row of the contacts file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int = Field(description="line in the input file where the record starts (header = 1)")
    email: str = Field(description="the address as written, normalised (Unicode domain kept)")
    email_ascii: str = Field(default="", description="the address with an IDNA-encoded domain")
    organisation: Name = ""
    contact_name: Name = ""
    salutation: SingleLine = ""
    title: SingleLine = ""
    type: SingleLine = ""
    language: SingleLine = ""
    country: SingleLine = ""
    website: SingleLine = ""
    description: MultiLine = ""
    note: SingleLine = ""
    extra: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_row(cls, row: int, fields: dict[str, str], extra: dict[str, str]) -> "Contact":
        """Validate one row's fields; raises pydantic.ValidationError naming the bad field."""
        return cls.model_validate({"row": row, **fields, "extra": extra})

    def model_post_init(self, _context: object) -> None:
        """Fill the ASCII form of the address once the address is valid."""
        if not self.email_ascii:
            object.__setattr__(self, "email_ascii", ascii_address(self.email))

    @field_validator("email", mode="before")
    @classmethod
    def _valid_email(cls, value: object) -> str:
        return valid_address(str(value or ""))

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if not value:
            return ""
        key = resolve_type_label(value)
        if key is None:
            raise ValueError(
                f"unknown type {value!r}; use a key or label: {describe_valid_labels()}"
            )
        return key

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if not value:
            return ""
        code = _LANGUAGE_NAMES.get(value.casefold())
        if code is None:
            raise ValueError(f"unknown language {value!r}; use de or en")
        return code

    @model_validator(mode="after")
    def _has_name_or_org(self) -> "Contact":
        if not self.organisation and not self.contact_name:
            raise ValueError("neither organisation nor contact name is given")
        return self

    @property
    def display_name(self) -> str:
        """The organisation, else the person, for tables and file names."""
        return self.organisation or self.contact_name


_LANGUAGE_NAMES = {
    "de": "de",
    "deu": "de",
    "ger": "de",
    "german": "de",
    "deutsch": "de",
    "de-de": "de",
    "de-at": "de",
    "de-ch": "de",
    "en": "en",
    "eng": "en",
    "english": "en",
    "englisch": "en",
    "en-gb": "en",
    "en-us": "en",
}


class Classification(BaseModel):
    """The type of an organisation, how sure we are, and why."""

    model_config = ConfigDict(frozen=True)

    type: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: tuple[str, ...] = ()
    needs_review: bool = False
    source: str = Field(default="classifier", description="'column' when the type column decided")


class RowError(BaseModel):
    """A row that was reported and skipped (or flagged), with where and why."""

    model_config = ConfigDict(frozen=True)

    row: int
    email: str = ""
    field: str = ""
    reason: str
