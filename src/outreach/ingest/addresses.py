"""Email addresses: the bare address in a cell, its validated form, its ASCII (IDNA) form."""

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from outreach.ingest.cells import CONTROL, WHITESPACE_RUN

# Pasted from web pages and CRMs: zero-width and soft-hyphen characters, "mailto:" links and
# "Name <address>" cells all hide a plain address.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")

# The everyday address (ASCII dot-atom, ordinary domain) passes every check of email-validator
# and normalises to the same text; recognising it here skips the IDNA tables, which made
# email-validator most of the cost of reading a contacts file. Anything else goes to it.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
# Labels of letters, digits and inner hyphens (never two in a row, which rules out "xn--" and
# the other reserved forms), at least two labels, and a top-level domain of letters only.
_LABEL = r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+[a-z]{{2,63}}")
_MAX_ADDRESS, _MAX_LOCAL, _MAX_DOMAIN = 254, 64, 253
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)


def bare_address(value: str) -> str:
    """The address in an email cell, without invisible characters, mailto: or a display name."""
    text = _INVISIBLE.sub("", CONTROL.sub("", value)).strip()
    if found := _ANGLE_ADDRESS.search(text):
        text = found.group(1).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].partition("?")[0].strip()
    return text


def valid_address(cell: str) -> str:
    """The normalised address in a cell; ValueError saying what is wrong with it."""
    text = bare_address(cell)
    if not text:
        raise ValueError("email is empty")
    if "@" in text and any(sep in text for sep in ",; ") and text.count("@") > 1:
        raise ValueError(f"email {text!r} holds more than one address; put one per row")
    if WHITESPACE_RUN.search(text):
        raise ValueError(f"email {text!r} contains white space or a line break")
    if plain := plain_address(text):
        return plain
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(f"email {text!r} is not a valid address: {exc}") from None
    return checked.normalized


def plain_address(text: str) -> str | None:
    """The normalised address (domain in lower case) if `text` has the everyday shape, else None."""
    if len(text) > _MAX_ADDRESS or not text.isascii():
        return None
    local, at, domain = text.partition("@")
    domain = domain.lower()
    if (
        not at
        or len(local) > _MAX_LOCAL
        or len(domain) > _MAX_DOMAIN
        or not _LOCAL.fullmatch(local)
        or not _DOMAIN.fullmatch(domain)
        or domain in _SPECIAL_USE
        or domain.endswith(_SPECIAL_USE_SUFFIXES)
    ):
        return None
    return f"{local}@{domain}"


def ascii_domain(address_or_domain: str) -> str:
    """The IDNA (xn--) form of a domain, or of an address's domain, as SMTP and headers need."""
    domain = address_or_domain.rpartition("@")[2]
    if domain.isascii():  # the codec returns an ASCII domain unchanged, or refuses it: the same
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def ascii_address(address: str) -> str:
    """An address with its domain in IDNA form (the local part is left as it is)."""
    local, at, domain = address.rpartition("@")
    return f"{local}{at}{ascii_domain(domain)}"
