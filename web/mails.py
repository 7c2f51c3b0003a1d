"""The mails we send (through the relay): a password-reset link, the daily digest. Plain
text, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from web.i18n import Formats

Gettext = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class DigestLine:
    """A refused or failed mail, as the digest lists it."""

    at: datetime
    sender: str
    why: str


def reset_mail(_: Gettext, *, to: str, link: str, minutes: int) -> EmailMessage:
    body = "\n\n".join(
        [
            _("Someone asked to reset the password of %(email)s on invoice-inbox.") % {"email": to},
            _("To choose a new password, open this link within %(minutes)s minutes (it works once):")
            % {"minutes": minutes}
            + f"\n{link}",
            _("If you did not ask for it, ignore this mail: your password stays as it is."),
        ]
    )
    return _mail(to, _("Reset your invoice-inbox password"), body)


def digest_mail(
    _: Gettext,
    formats: Formats,
    *,
    to: str,
    account: str,
    refused: list[DigestLine],
    failed: list[DigestLine],
    web_url: str,
) -> EmailMessage:
    parts = [
        _("Mail of the last 24 hours that did not become documents, for %(account)s.") % {"account": account}
    ]
    if refused:
        parts.append(_("Refused (the sender is not on the allowed list):") + "\n" + _lines(formats, refused))
    if failed:
        parts.append(_("Failed (the mail could not be read):") + "\n" + _lines(formats, failed))
    parts.append(_("The mail log: %(url)s") % {"url": f"{web_url}/messages"})
    subject = _("invoice-inbox: %(refused)s refused, %(failed)s failed") % {
        "refused": formats.number(len(refused)),
        "failed": formats.number(len(failed)),
    }
    return _mail(to, subject, "\n\n".join(parts))


def _lines(formats: Formats, lines: list[DigestLine]) -> str:
    return "\n".join(f"- {formats.moment(line.at)}  {line.sender or '<>'}  {line.why}" for line in lines)


def _mail(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="invoice-inbox")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(body)
    return message
