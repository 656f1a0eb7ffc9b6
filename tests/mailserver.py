"""A real SMTP server on 127.0.0.1 for the sending tests: aiosmtpd with scripted replies."""

import asyncio
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USER, PASSWORD = "anna@example.org", "s3cret-Pa55word-never-shown"


class LocalController(Controller):
    """A controller on 127.0.0.1 and a free port chosen by the kernel.

    `Controller(port=0)` fails its start-up check, which connects to `self.port`; the bound port
    is read from the listening socket before that check runs.
    """

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(
            handler, hostname="127.0.0.1", port=0, server_hostname="mail.example.org", **kwargs
        )

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Delivery:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None
    mail_options: list[str] = field(default_factory=list)

    @property
    def message_id(self) -> str:
        """The Message-ID header of the delivered bytes."""
        return str(BytesHeaderParser().parsebytes(self.content)["Message-ID"])


@dataclass
class Script:
    """Replies to give instead of accepting: per recipient, used up one per attempt."""

    mail: list[str] = field(default_factory=list)  # replies to MAIL FROM, any sender
    rcpt: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, list[str]] = field(default_factory=dict)
    drop_after_dot: set[str] = field(default_factory=set)
    delay: float = 0.0
    idle_closed: bool = False  # answer NOOP as if the idle connection had been closed meanwhile
    pipelining: bool = False  # offer PIPELINING (RFC 2920) in the EHLO reply, as Postfix does
    on_data: Callable[["Delivery"], None] | None = None  # called once the final dot is in


class Handler:
    """Accepts mail, records it, and follows the script."""

    def __init__(self) -> None:
        self.script = Script()
        self.deliveries: list[Delivery] = []
        self.dropped: list[Delivery] = []
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: SMTP, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if server.tls_context is None or session.ssl is not None:  # not the EHLO before STARTTLS
            self.connections += 1
        session.host_name = hostname
        if self.script.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.script.mail:
            return self.script.mail.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        scripted = self.script.rcpt.get(address.lower())
        if scripted:
            reply = scripted.pop(0)
            if reply.startswith("421"):
                # A server that says 421 closes the connection after the reply.
                asyncio.get_running_loop().call_soon(_close, server)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_NOOP(self, server: SMTP, session: Any, envelope: Any, arg: str) -> str:
        if self.script.idle_closed:
            _close(server)
            await asyncio.sleep(3600)  # cancelled when the connection is gone
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0].lower()
        if self.script.delay:
            await asyncio.sleep(self.script.delay)
        delivery = Delivery(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            envelope.original_content,
            session.auth_data.login if session.authenticated else None,
            list(envelope.mail_options),
        )
        if self.script.on_data is not None:
            self.script.on_data(delivery)
        if rcpt in self.script.drop_after_dot:
            self.script.drop_after_dot.discard(rcpt)
            with self._lock:
                self.dropped.append(delivery)
            _close(server)
            await asyncio.sleep(3600)  # cancelled when the connection is gone; never replies
        scripted = self.script.data.get(rcpt)
        if scripted:
            return scripted.pop(0)
        with self._lock:
            self.deliveries.append(delivery)
        return "250 Message accepted for delivery"

    def count_by_message_id(self) -> Counter[str]:
        """How often each Message-ID arrived."""
        with self._lock:
            return Counter(delivery.message_id for delivery in self.deliveries)


def _close(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.close()


def authenticate(
    server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    """Accept only USER with PASSWORD."""
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
    ok = ok and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@dataclass
class Certificates:
    """A test CA, a server certificate it signed, and the CA file the client trusts."""

    ca: trustme.CA
    server_context: ssl.SSLContext
    cafile: Path

    @classmethod
    def make(cls, folder: Path) -> "Certificates":
        """Issue a certificate for 127.0.0.1 and localhost."""
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        cafile = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(cafile))
        return cls(ca, context, cafile)


def start(
    handler: Handler, mode: str, certs: Certificates | None, *, smtputf8: bool = False
) -> LocalController:
    """Start a server: 'starttls' (with AUTH), 'ssl' (implicit TLS, AUTH) or 'plain' (no TLS)."""
    kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    if mode == "starttls":
        assert certs is not None
        kwargs |= {
            "tls_context": certs.server_context,
            "require_starttls": True,
            "authenticator": authenticate,
            "auth_required": True,
        }
    elif mode == "ssl":
        assert certs is not None
        kwargs |= {
            "ssl_context": certs.server_context,
            "authenticator": authenticate,
            # aiosmtpd cannot tell that an implicit-TLS connection is encrypted; requiring AUTH
            # as well would make it warn, so the client's login is checked in the tests instead.
            "auth_require_tls": False,
        }
    controller = LocalController(handler, **kwargs)
    controller.start()
    return controller
