"""Outgoing mail through INBOX_RELAY_URL (`smtp://[user:password@]host:port`), STARTTLS when
the relay offers it. Password resets and the daily digest go this way; without a relay they
are off.

Blocking (smtplib): callers run it in a thread. Errors are RelayError, whose message names
the relay and what went wrong but never the message's content (which may hold a token) nor
the relay's password.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 20


class RelayError(Exception):
    """The relay could not be reached or refused the mail."""


@dataclass(frozen=True, slots=True)
class RelayAddress:
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    def __str__(self) -> str:  # what logs may show
        return f"smtp://{self.host}:{self.port}"


def parse_relay_url(url: str) -> RelayAddress:
    """ValueError with a message that does not repeat the URL (it may hold a password)."""
    parts = urlsplit(url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise ValueError("must look like smtp://host:port (or smtp://user:password@host:port)")
    try:
        port = parts.port or 25
    except ValueError:
        raise ValueError("has no valid port") from None
    return RelayAddress(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class Relay:
    def __init__(self, url: str, sender: str, *, tls_context: ssl.SSLContext | None = None) -> None:
        self.address = parse_relay_url(url)
        self.sender = sender
        self._tls = tls_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        try:
            with smtplib.SMTP(self.address.host, self.address.port, timeout=TIMEOUT_SECONDS) as smtp:
                smtp.ehlo()
                secure = smtp.has_extn("starttls")
                if secure:
                    smtp.starttls(context=self._tls)
                    smtp.ehlo()
                if self.address.username:
                    if not secure:
                        raise RelayError(
                            f"{self.address} offers no STARTTLS: the password is not sent in clear"
                        )
                    smtp.login(self.address.username, self.address.password)
                smtp.send_message(message, from_addr=self.sender)
        except (OSError, smtplib.SMTPException) as err:
            raise RelayError(f"{self.address}: {_describe(err)}") from err


def _describe(err: Exception) -> str:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "recipient refused: " + "; ".join(
            f"{code} {text.decode(errors='replace')}" for code, text in err.recipients.values()
        )
    if isinstance(err, smtplib.SMTPResponseException):
        text = err.smtp_error
        return f"{err.smtp_code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    return f"{type(err).__name__}: {err}"
