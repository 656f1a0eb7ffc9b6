"""Cleaning of cell text and addresses: one line or many, the bare address, its ASCII form.

Shared by the row models, the settings and sending; apart from the models, so that commands
which read no contacts (send, approve, status) do not build them.
"""

import re

# C0 controls except TAB/LF/CR (handled below), DEL, C1 controls and Unicode line separators.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
WHITESPACE_RUN = re.compile(r"\s+")


def single_line(value: str) -> str:
    """Strip control characters and fold every whitespace run (CR and LF too) into one space."""
    if _is_tidy(value):
        return value.strip()
    return WHITESPACE_RUN.sub(" ", _CONTROL.sub("", value)).strip()


def multi_line(value: str) -> str:
    """Strip control characters, normalise line ends and trim each line."""
    if _is_tidy(value):
        return value.strip()
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(lines).strip()


def _is_tidy(value: str) -> bool:
    """True for one line whose only white space is single ASCII spaces: most cells."""
    # Every control character, line break and white space other than " " is not printable.
    return value.isprintable() and "  " not in value


# Pasted from web pages and CRMs: zero-width and soft-hyphen characters, "mailto:" links and
# "Name <address>" cells all hide a plain address.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")


def bare_address(value: str) -> str:
    """The address in an email cell, without invisible characters, mailto: or a display name."""
    text = _INVISIBLE.sub("", _CONTROL.sub("", value)).strip()
    if found := _ANGLE_ADDRESS.search(text):
        text = found.group(1).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].partition("?")[0].strip()
    return text


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
