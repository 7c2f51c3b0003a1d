"""The SMTP listener: validate recipients, enforce limits, make the mail durable, reply.

Parsing happens later, in the worker; this module only validates, records and replies.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, Envelope, Session

from inbox import replies
from inbox.addresses import address_problem
from inbox.authresults import UNCHECKED, AuthResults
from inbox.guardedsmtp import GuardedSMTP
from inbox.logformat import about
from inbox.recipient import Delivery, Recipient
from inbox.spool import SpooledMessage, SpoolEnvelope
from inbox.trace import trace_headers

log = logging.getLogger("inbox.smtp")

# Lookup of an inbox address (lower-case local part) to its active account.
FindAccount = Callable[[str], Awaitable[Recipient | None]]
# Durable accept: spooled mail, envelope sender, deliveries, auth results (JSON) -> message ids.
Accept = Callable[[SpooledMessage, str, list[Delivery], str], Awaitable[list[str]]]
# Records a mail refused for an account: account, from, to, why.
LogRejection = Callable[[Recipient, str, str, str], Awaitable[None]]
NOT_LISTED = "sender not on the allowed list"
FAILED_DMARC = "sender failed DMARC"
QUOTA_REASON = "the plan's documents this month are used up"
# Role mailboxes an MX is asked to take (RFC 5321 4.5.1, RFC 2142): for INBOX_POSTMASTER's inbox.
ROLE_MAILBOXES = frozenset({"postmaster", "abuse"})
# SPF, DKIM and DMARC of the spooled mail: path, ip=, helo=, mail_from= -> results.
Authenticate = Callable[..., Awaitable[AuthResults]]


async def _log_nothing(account: Recipient, envelope_from: str, envelope_to: str, reason: str) -> None:
    return None


async def _check_nothing(path, *, ip: str, helo: str, mail_from: str) -> AuthResults:
    return UNCHECKED


class InboxEnvelope(SpoolEnvelope):
    def __init__(self) -> None:
        super().__init__()
        self.deliveries: dict[str, Delivery] = {}  # account id -> delivery: one row per account
        # Accounts whose allowed senders do not list the envelope sender: the header From may
        # still be on the list, if DMARC vouches for it (decided after DATA).
        self.unlisted: dict[str, Recipient] = {}
        self.strict_dmarc: dict[str, Recipient] = {}  # accounts that refuse mail failing DMARC
        # The id the sender learns (Received, "queued as"): a message id belongs to one account.
        self.transaction_id = secrets.token_hex(10)


class InboxSMTP(GuardedSMTP):
    """aiosmtpd's protocol engine with DATA spooled to disk, limits, enhanced status codes and
    our trace in front of every mail."""

    def _create_envelope(self) -> Envelope:
        return InboxEnvelope()

    def _trace(self) -> bytes:
        assert isinstance(self.envelope, InboxEnvelope) and self.session is not None
        extended = "ESMTPS" if self._tls_protocol is not None else "ESMTP"
        return trace_headers(
            mail_from=self.envelope.mail_from or "",
            helo=self.session.host_name or "",
            peer_ip=_peer_ip(self.session),
            by=self.hostname,
            protocol=extended if self.session.extended_smtp else "SMTP",
            transaction_id=self.envelope.transaction_id,
        )


@dataclass
class InboxHandler:
    find_account: FindAccount
    accept: Accept
    mail_domain: str
    max_recipients: int = 50
    on_accepted: Callable[[int], None] = lambda count: None  # messages recorded for one mail
    log_rejection: LogRejection = _log_nothing
    authenticate: Authenticate = _check_nothing
    postmaster: str = ""  # the inbox key that gets ROLE_MAILBOXES' mail; "": refused

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # aiosmtpd leaves it to a handler with this hook
        # aiosmtpd answers commands in the order it reads them, however many arrive at once.
        return [*responses[:-1], "250-PIPELINING", "250-ENHANCEDSTATUSCODES", responses[-1]]

    async def handle_MAIL(self, server: SMTP, session: Session, envelope, address: str, mail_options):
        # aiosmtpd has already checked SIZE=; answering here only adds the enhanced code.
        problem = address_problem(address)
        if problem:
            log.info("rejected from=%r peer=%s: sender address %s", address, _peer(session), problem)
            return replies.bad_sender(problem)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.OK_MAIL

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: InboxEnvelope, address: str, rcpt_options
    ):
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return replies.TOO_MANY_RECIPIENTS
        problem = address_problem(address)
        if problem:
            domain = address.rpartition("@")[2]
            log.info("rejected rcpt domain=%r peer=%s: recipient address %s", domain, _peer(session), problem)
            return replies.bad_recipient(problem)
        local = self._inbox_key(address)
        account = await self.find_account(local) if local else None
        if account is None:  # only the domain: the address may be a retired or mistyped inbox key
            log.info(
                "rejected rcpt domain=%r from=%r peer=%s: unknown inbox",
                address.rpartition("@")[2],
                envelope.mail_from,
                _peer(session),
            )
            return replies.UNKNOWN_RECIPIENT
        if account.over_quota:  # 452: the sender keeps the mail and retries (next month, a bigger plan)
            await self._refuse(account, envelope.mail_from or "", address, QUOTA_REASON)
            return replies.QUOTA_EXCEEDED
        if not sender_allowed(account.allowed_senders, envelope.mail_from or ""):
            envelope.unlisted[account.account_id] = account
        if account.refuse_dmarc_failures:
            envelope.strict_dmarc[account.account_id] = account
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        envelope.deliveries.setdefault(account.account_id, Delivery(account.account_id, address))
        return replies.OK_RCPT

    def _inbox_key(self, address: str) -> str | None:
        local = inbox_local(address, self.mail_domain)
        if address.strip().lower() == "postmaster":  # RFC 5321 4.1.1.3: taken without a domain
            local = "postmaster"
        if local in ROLE_MAILBOXES and self.postmaster:
            return self.postmaster
        return local

    async def handle_DATA(self, server: SMTP, session: Session, envelope: InboxEnvelope) -> str:
        spool = envelope.spool
        assert spool is not None  # SpoolingSMTP calls handle_DATA only with a spooled mail
        auth = await self.authenticate(
            spool.path, ip=_peer_ip(session), helo=session.host_name or "", mail_from=envelope.mail_from or ""
        )
        if _waits_for_dns(envelope, auth):
            return replies.AUTH_TRY_AGAIN
        deliveries = await self._allowed_deliveries(envelope, auth)
        if not deliveries:
            failed_dmarc = auth.dmarc == "fail" and envelope.strict_dmarc
            return replies.DMARC_FAILED if failed_dmarc else replies.SENDER_NOT_ALLOWED
        envelope.spool_handed_over = True
        try:
            ids = await self.accept(spool, envelope.mail_from or "", deliveries, json.dumps(auth.as_dict()))
        except Exception:
            log.exception("could not store mail from=%r", envelope.mail_from)
            return replies.TRY_AGAIN
        queued_as = envelope.transaction_id
        log.info(
            "accepted queued=%s id=%s from=%r rcpts=%d size=%d peer=%s spf=%s dkim=%s dmarc=%s",
            queued_as,
            ",".join(ids),
            envelope.mail_from,
            len(deliveries),
            spool.size,
            _peer(session),
            auth.spf,
            auth.dkim,
            auth.dmarc,
            extra=about(",".join(ids)),
        )
        self.on_accepted(len(ids))
        return replies.queued(queued_as)

    async def _allowed_deliveries(self, envelope: InboxEnvelope, auth: AuthResults) -> list[Delivery]:
        """The deliveries whose account accepts this sender: by the envelope sender (at RCPT), or
        by the header From when DMARC passes for its domain (mail relayed by SES, SendGrid or a
        colleague's forward carries another envelope sender). The others are refused, recorded."""
        allowed = []
        for account_id, delivery in envelope.deliveries.items():
            strict = envelope.strict_dmarc.get(account_id)
            if strict is not None and auth.dmarc == "fail":
                await self._refuse(strict, envelope.mail_from or "", delivery.envelope_to, FAILED_DMARC)
                continue
            unlisted = envelope.unlisted.get(account_id)
            if unlisted is not None and not (
                auth.passes_dmarc_for(auth.header_from)
                and sender_allowed(unlisted.allowed_senders, auth.header_from_address)
            ):
                await self._refuse(unlisted, envelope.mail_from or "", delivery.envelope_to, NOT_LISTED)
                continue
            allowed.append(delivery)
        return allowed

    async def _refuse(self, account: Recipient, envelope_from: str, envelope_to: str, reason: str) -> None:
        # The inbox address is a credential: the log names the account.
        log.info("rejected account=%s from=%r: %s", account.account_id, envelope_from, reason)
        try:
            await self.log_rejection(account, envelope_from, envelope_to, reason)
        except Exception:  # the refusal stands even when it cannot be recorded
            log.exception("could not record the rejection for account %s", account.account_id)

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default is a permanent 500 that leaks internals; a retry is the safe answer.
        log.error("SMTP session error", exc_info=error)
        return replies.TRY_AGAIN


def _waits_for_dns(envelope: InboxEnvelope, auth: AuthResults) -> bool:
    """An account would take this mail by its header From if DMARC could be checked: a
    temporary answer, rather than refusing for good during a DNS outage."""
    return auth.dmarc == "temperror" and any(
        sender_allowed(unlisted.allowed_senders, auth.header_from_address)
        for unlisted in envelope.unlisted.values()
    )


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


def _peer_ip(session: Session) -> str:
    peer = session.peer
    return peer[0] if isinstance(peer, tuple) else str(peer)


def _peer(session: Session) -> str:
    peer = session.peer
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
