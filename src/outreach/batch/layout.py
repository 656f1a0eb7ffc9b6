"""The names inside a batch folder, and the rules for batch and draft file names."""

import re
import unicodedata

from outreach.errors import InputError
from outreach.models import Contact

DRAFTS = "drafts"
PREVIEWS = "previews"
MANIFEST = "manifest.csv"
ERRORS = "errors.csv"
META = "batch.json"
REVIEW_PAGE = "index.html"

MANIFEST_COLUMNS = (
    "row", "email", "organisation", "contact_name", "type", "confidence", "language", "subject",
    "draft", "needs_review", "review_reason", "evidence", "message_id", "flags",
)  # fmt: skip
ERROR_COLUMNS = ("row", "email", "field", "reason")

_GERMAN_LETTERS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)
_BATCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def draft_name(contact: Contact) -> str:
    """A stable, readable name: the input row and a slug of the organisation or name."""
    return f"{contact.row:05d}-{slug(contact.display_name) or 'contact'}"


def draft_path(name: str) -> str:
    """Where a draft's .eml file is, relative to the batch folder."""
    return f"{DRAFTS}/{name}.eml"


def previews_file(chunk: int) -> str:
    """The previews page of chunk `chunk` (from 0), relative to the batch folder."""
    return f"{PREVIEWS}/{chunk + 1:04d}.html"


def slug(text: str, limit: int = 48) -> str:
    """Lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_GERMAN_LETTERS))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].rstrip("-")


def checked_batch_name(batch: str) -> str:
    """The batch name, stripped; InputError unless it is usable as a folder name."""
    name = batch.strip()
    if not _BATCH_NAME.fullmatch(name):
        raise InputError(
            f"batch name {batch!r} is not usable: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return name
