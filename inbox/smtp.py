"""The SMTP listener: validate recipients, enforce limits, make the mail durable, reply.

Parsing happens later, in the worker; this module only validates, records and replies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, Envelope, Session

from inbox import replies
from inbox.recipient import Delivery, Recipient
from inbox.spool import SpooledMessage, SpoolEnvelope, SpoolingSMTP

log = logging.getLogger("inbox.smtp")

# Lookup of an inbox address (lower-case local part) to its active account.
FindAccount = Callable[[str], Awaitable[Recipient | None]]
# Durable accept: spooled mail, envelope sender, deliveries -> message ids.
Accept = Callable[[SpooledMessage, str, list[Delivery]], Awaitable[list[str]]]
# Records, for the account, a mail refused at RCPT: account, from, to, why.
LogRejection = Callable[[Recipient, str, str, str], Awaitable[None]]
SENDER_NOT_ALLOWED_REASON = "sender not on the allowed list"
QUOTA_REASON = "the plan's documents this month are used up"


async def _log_nothing(account: Recipient, envelope_from: str, envelope_to: str, reason: str) -> None:
    return None


class InboxEnvelope(SpoolEnvelope):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries: dict[str, Delivery] = {}  # account id -> delivery: one row per account


class InboxSMTP(SpoolingSMTP):
    """aiosmtpd's protocol engine with DATA spooled to disk and enhanced status codes.

    SpoolingSMTP already answers DATA's size and line limits with enhanced codes; the one
    built-in reply left to rewrite is MAIL FROM's SIZE= check.
    """

    _REWRITES = {
        "552 Error: message size exceeds fixed maximum message size": replies.MESSAGE_TOO_LARGE,
    }

    def _create_envelope(self) -> Envelope:
        return InboxEnvelope()

    async def push(self, status):
        if isinstance(status, str):
            status = self._REWRITES.get(status, status)
        await super().push(status)


@dataclass
class InboxHandler:
    find_account: FindAccount
    accept: Accept
    mail_domain: str
    max_recipients: int = 50
    on_accepted: Callable[[], None] = lambda: None
    log_rejection: LogRejection = _log_nothing

    async def handle_MAIL(self, server: SMTP, session: Session, envelope, address: str, mail_options):
        # aiosmtpd has already checked SIZE=; answering here only adds the enhanced code.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.OK_MAIL

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: InboxEnvelope, address: str, rcpt_options
    ):
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return replies.TOO_MANY_RECIPIENTS
        local = inbox_local(address, self.mail_domain)
        account = await self.find_account(local) if local else None
        if account is None:  # only the domain: the address may be a retired or mistyped inbox key
            log.info(
                "rejected rcpt domain=%r from=%r peer=%s: unknown inbox",
                address.rpartition("@")[2],
                envelope.mail_from,
                _peer(session),
            )
            return replies.UNKNOWN_RECIPIENT
        if not sender_allowed(account.allowed_senders, envelope.mail_from or ""):
            log.info(
                "rejected account=%s from=%r: sender not allowed", account.account_id, envelope.mail_from
            )
            await self._record_refusal(account, envelope, address, SENDER_NOT_ALLOWED_REASON)
            return replies.SENDER_NOT_ALLOWED
        if account.over_quota:  # 452: the sender keeps the mail and retries (next month, a bigger plan)
            log.info("rejected account=%s from=%r: over quota", account.account_id, envelope.mail_from)
            await self._record_refusal(account, envelope, address, QUOTA_REASON)
            return replies.QUOTA_EXCEEDED
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        envelope.deliveries.setdefault(account.account_id, Delivery(account.account_id, address))
        return replies.OK_RCPT

    async def _record_refusal(
        self, account: Recipient, envelope: InboxEnvelope, address: str, reason: str
    ) -> None:
        try:
            await self.log_rejection(account, envelope.mail_from or "", address, reason)
        except Exception:  # the refusal stands even when it cannot be recorded
            log.exception("could not record the rejection for account %s", account.account_id)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: InboxEnvelope) -> str:
        spool = envelope.spool
        assert spool is not None  # SpoolingSMTP calls handle_DATA only with a spooled mail
        deliveries = list(envelope.deliveries.values())
        try:
            ids = await self.accept(spool, envelope.mail_from or "", deliveries)
        except Exception:
            log.exception("could not store mail from=%r", envelope.mail_from)
            return replies.TRY_AGAIN
        log.info(
            "accepted id=%s from=%r rcpts=%d size=%d peer=%s",
            ",".join(ids),
            envelope.mail_from,
            len(deliveries),
            spool.size,
            _peer(session),
        )
        self.on_accepted()
        return replies.queued(ids[0])

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default is a permanent 500 that leaks internals; a retry is the safe answer.
        log.error("SMTP session error", exc_info=error)
        return replies.TRY_AGAIN


def inbox_local(address: str, mail_domain: str) -> str | None:
    """The inbox key of an address at our domain ("key+tag@domain" -> "key"), else None."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.lower().rstrip(".") != mail_domain.lower():
        return None
    return local.split("+", 1)[0].lower() or None


def sender_allowed(allowed: str, sender: str) -> bool:
    """Allowed senders are addresses or "@domain" lines; none listed means anyone."""
    rules = [line for line in allowed.splitlines() if line]
    if not rules:
        return True
    sender = sender.lower()
    domain = "@" + sender.rpartition("@")[2]
    return any(rule in (sender, domain) for rule in rules)


def _peer(session: Session) -> str:
    peer = session.peer
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
