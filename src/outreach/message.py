"""Build the MIME message of one draft with the standard `email` package."""

import hashlib
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr

from .models import Contact
from .render import RenderedEmail
from .settings import Settings

# Quoted-printable keeps German bodies 7-bit safe for relays that reject 8-bit data.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_CRLF = compat32.clone(linesep="\r\n")


class HeaderInjectionError(ValueError):
    """A header value contained a line break or control character."""


def message_id(batch: str, email_ascii: str, domain: str) -> str:
    """A Message-ID that is the same for the same address in the same batch."""
    key = f"{batch}\0{email_ascii.casefold()}".encode()
    return f"<{hashlib.sha256(key).hexdigest()[:32]}.{_safe_token(batch)}@{domain}>"


def build_message(
    email: RenderedEmail,
    contact: Contact,
    recipient_name: str,
    settings: Settings,
    *,
    batch: str,
    date: datetime,
) -> bytes:
    """Return the draft as bytes with CRLF line ends: multipart/alternative, text then HTML."""
    identifier = message_id(batch, contact.email_ascii, _domain(settings.from_address))
    # "=_" never occurs in quoted-printable text, so a fixed boundary is safe and reruns match.
    boundary = "=_" + hashlib.sha256(identifier.encode()).hexdigest()[:32]
    message = MIMEMultipart("alternative", boundary=boundary)
    message["From"] = _address(settings.from_)
    message["To"] = formataddr((_checked(recipient_name), contact.email_ascii), charset="utf-8")
    message["Reply-To"] = _address(settings.reply_to_or_from)
    # compat32 takes a Header object and writes RFC 2047 encoded words; typeshed says str only.
    message["Subject"] = Header(_checked(email.subject), "utf-8")  # type: ignore[assignment]
    message["Date"] = format_datetime(date)
    message["Message-ID"] = identifier
    message["List-Unsubscribe"] = f"<mailto:{settings.unsubscribe_address}?subject=unsubscribe>"
    message.attach(_text_part(email.text, "plain"))
    message.attach(_text_part(email.html, "html"))
    return message.as_bytes(policy=_CRLF)


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    """A UTF-8, quoted-printable text part."""
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, charset=_UTF8_QP)
    return part


def _address(value: str) -> str:
    """An address header value with an RFC 2047 name and an IDNA domain."""
    name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    return formataddr((_checked(name), f"{local}@{_domain(domain)}"), charset="utf-8")


def _domain(address_or_domain: str) -> str:
    domain = address_or_domain.rpartition("@")[2]
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _checked(value: str) -> str:
    """Refuse a header value that could end a header line (CVE-2024-6923: the library may not)."""
    if any(ord(ch) < 32 or ch == "\x7f" for ch in value):
        raise HeaderInjectionError(f"header value {value[:40]!r} contains a control character")
    return value


def _safe_token(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in text)[:40]
