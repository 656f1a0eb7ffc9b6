"""Write the MIME bytes of one draft: multipart/alternative, text then HTML, CRLF line ends.

The layout is fixed, so the bytes are written directly instead of through the `email`
package's generator (which re-folds every header of every message); every message still
parses back cleanly with `email.policy.default`, which the tests check.
"""

import base64
import binascii
import hashlib
import re
from datetime import datetime
from email.charset import Charset
from email.utils import format_datetime, formataddr, parseaddr

from outreach.compose.render import RenderedEmail
from outreach.errors import ContentError, HeaderInjectionError
from outreach.ingest.addresses import ascii_address, ascii_domain
from outreach.models import Contact
from outreach.settings import Settings

CRLF = "\r\n"
_MAX_LINE = 78
_MAX_HEADER_LINE = 998
# UTF-8 bytes per encoded word: base64 of 36 bytes is 48 characters, so "Subject: " plus one
# word stays under 78 columns.
_WORD_BYTES = 36
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_UTF8 = Charset("utf-8")  # formataddr would build it again for every non-ASCII name


def message_id(batch: str, email_ascii: str, domain: str, step: int = 0) -> str:
    """A Message-ID that is the same for the same address, batch and step (0: first email)."""
    key = f"{batch}\0{email_ascii.casefold()}" + (f"\0{step}" if step else "")
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}.{_safe_token(batch)}@{domain}>"


class MessageWriter:
    """Builds the drafts of one batch; the headers every draft shares are encoded once."""

    def __init__(self, settings: Settings, batch: str, date: datetime) -> None:
        self._batch = batch
        self._domain = ascii_domain(settings.from_address)
        self._before_to = _header("From", encode_address(settings.from_))
        self._after_to = _header("Reply-To", encode_address(settings.reply_to_or_from))
        self._date = _header("Date", format_datetime(date))
        unsubscribe = f"<mailto:{settings.unsubscribe_address}?subject=unsubscribe>"
        self._trailer = _header("List-Unsubscribe", unsubscribe) + _header("MIME-Version", "1.0")

    def message_id(self, contact: Contact, step: int = 0) -> str:
        """The Message-ID this batch gives a contact's email of `step` (0: the first)."""
        return message_id(self._batch, contact.email_ascii, self._domain, step)

    def build(
        self,
        email: RenderedEmail,
        contact: Contact,
        identifier: str,
        *,
        in_reply_to: str = "",
        references: tuple[str, ...] = (),
    ) -> bytes:
        """The draft as bytes, ready to be sent unchanged but for its Date (see `dated`).

        `identifier` is its Message-ID; a follow-up names the email it answers in
        `in_reply_to` and the thread's earlier Message-IDs in `references`.
        """
        # "=_" never occurs in quoted-printable text, so a derived boundary is safe and stable.
        boundary = "=_" + hashlib.sha256(identifier.encode()).hexdigest()[:32]
        to = _named_address(_checked(email.recipient_name), contact.email_ascii)
        thread = ""
        if in_reply_to:
            thread += _header("In-Reply-To", _checked(in_reply_to))
        if references:
            thread += _header("References", f"{CRLF} ".join(map(_checked, references)))
        head = "".join(
            (
                self._before_to,
                _header("To", to),
                self._after_to,
                _header("Subject", encode_text(_checked(email.subject), len("Subject: "))),
                self._date,
                _header("Message-ID", identifier),
                thread,
                self._trailer,
                f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}{CRLF}',
            )
        )
        if any(len(line) > _MAX_HEADER_LINE for line in head.split(CRLF)):
            raise ContentError(f"{identifier}: a header line is over 998 bytes (RFC 5322)")
        return b"".join(
            (
                head.encode("ascii"),
                _part(boundary, 'plain; charset="utf-8"; format=flowed', email.text),
                _part(boundary, 'html; charset="utf-8"', email.html),
                f"--{boundary}--{CRLF}".encode("ascii"),
            )
        )


def _part(boundary: str, content_type: str, body: str) -> bytes:
    """One quoted-printable UTF-8 body part (text/<content_type>) with its delimiter line."""
    head = (
        f"--{boundary}{CRLF}Content-Type: text/{content_type}{CRLF}"
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
    )
    return head.encode("ascii") + quoted_printable(body) + CRLF.encode("ascii")


def quoted_printable(text: str) -> bytes:
    """UTF-8 quoted-printable with CRLF line ends (7-bit safe for every relay)."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


def encode_address(value: str) -> str:
    """An address header value: RFC 2047 display name when needed, IDNA domain."""
    name, address = parseaddr(value)
    return _named_address(name, ascii_address(address))


def _named_address(name: str, address: str) -> str:
    """`Name <address>` for an ASCII address, the name quoted or RFC 2047 encoded as needed."""
    if not name:
        return address
    # One encoded word for a non-ASCII name: address parsers treat the space between split
    # words of a display name differently from unstructured headers.
    return formataddr((name, address), charset=_UTF8)


def encode_text(text: str, first_line_used: int) -> str:
    """A header text: folded ASCII as it is, else RFC 2047 base64 encoded words."""
    if text.isascii():
        return _fold_words(text, first_line_used)
    data = text.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        words.append(data[start:end])
        start = end
    encoded = (f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)
    return f"{CRLF} ".join(encoded)


def _fold_words(text: str, used: int) -> str:
    """Fold an ASCII header text at spaces so lines stay within 78 columns where possible."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and used + len(line) + 1 + len(word) > _MAX_LINE:
            lines.append(line)
            line, used = word, 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return f"{CRLF} ".join(lines)


def _header(name: str, value: str) -> str:
    return f"{name}: {value}{CRLF}"


def _checked(value: str) -> str:
    """Refuse a header value that could end a header line (CVE-2024-6923: the library may not)."""
    if _CONTROL_CHARACTER.search(value):
        raise HeaderInjectionError(f"header value {value[:40]!r} contains a control character")
    return value


def _safe_token(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in text)[:40]
