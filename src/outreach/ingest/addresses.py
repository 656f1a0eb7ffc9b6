"""Recognise the everyday address (ASCII, dot-atom, ordinary domain) without email-validator.

email-validator checks every character of the domain against IDNA tables, which makes it most
of the cost of reading a contacts file. An address matching the narrow shape below passes all of
its checks and normalises to the same text; anything else is left to email-validator.
"""

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
# Labels of letters, digits and inner hyphens (never two in a row, which rules out "xn--" and
# the other reserved forms), at least two labels, and a top-level domain of letters only.
_LABEL = r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+[a-z]{{2,63}}")
_MAX_ADDRESS = 254
_MAX_LOCAL = 64
_MAX_DOMAIN = 253
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)


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
