"""An SMTP sink on loopback (aiosmtpd): the relay outgoing mail goes through in tests. It keeps
every mail it got, parsed."""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.service import free_port


@dataclass
class MailSink:
    port: int = field(default_factory=free_port)
    mails: list[EmailMessage] = field(default_factory=list)
    tls_context: ssl.SSLContext | None = None  # offers STARTTLS, and then requires it
    login: tuple[str, str] | None = None  # requires AUTH with this user and password
    sessions: list[tuple[bool, bool]] = field(default_factory=list)  # (over TLS, authenticated) per mail
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailSink:
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self.tls_context,
            require_starttls=self.tls_context is not None,
            authenticator=self._authenticate if self.login else None,
            auth_required=self.login is not None,
            auth_require_tls=True,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook)
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        with self._lock:
            self.mails.append(mail)
            self.sessions.append((session.ssl is not None, bool(session.authenticated)))
        return "250 2.0.0 Ok"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert self.login is not None
        good = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == self.login
        )
        return AuthResult(success=good, handled=False)

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.mails if m["To"] == address]
