"""Received mails: recording them at accept time, claiming them for processing, listing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from storage import claims
from storage.errors import ClaimLost, Conflict, NotFound
from storage.hooks import emit
from storage.models import Message, PartLog, utcnow
from storage.pagination import decode_cursor, encode_cursor
from storage.read_models import MessageRead, PartLogRead, message_read, part_log_read
from vocabulary import MessageStatus


@dataclass(frozen=True, slots=True)
class MessageBody:
    text: str
    html: str


def record_received(
    *,
    session: Session,
    raw_sha256: str,
    raw_size: int,
    envelope_from: str,
    envelope_to_by_account: dict[str, str],
    auth: str = "",
) -> list[Message]:
    """One Message row per recipient account (id -> the address used); the caller commits
    before answering 250. `auth` is the mail's authentication results, as JSON."""
    now = utcnow()
    messages = [
        Message(
            account_id=account_id,
            raw_sha256=raw_sha256,
            raw_size=raw_size,
            envelope_from=envelope_from,
            envelope_to=envelope_to,
            received_at=now,
            auth=auth,
        )
        for account_id, envelope_to in envelope_to_by_account.items()
    ]
    session.add_all(messages)
    return messages


def claim_next(
    *, session: Session, worker: str, lease: timedelta, account_share: int | None = None
) -> Message | None:
    """Take the oldest received message whose lease is free, for `worker`, for `lease`.

    A lease (not a flag) so that a worker killed mid-way leaves work that another can take.
    With `account_share`, an account that already has that many mails claimed waits: its
    backlog (or its slow mails) can never take every slot from the other accounts.
    """
    ready = col(Message.status) == MessageStatus.RECEIVED
    if account_share is not None:
        ready = and_(ready, col(Message.account_id).not_in(_accounts_at_share(account_share, worker)))
    claimed = claims.claim(
        session, Message, ready=ready, order_by=col(Message.received_at), worker=worker, lease=lease
    )
    return None if claimed is None else session.get(Message, claimed)


def _accounts_at_share(share: int, worker: str):
    """Accounts with `share` mails or more in this worker's hands. The share is of this
    worker's slots: other nodes' claims do not count, so neither does a dead node's claim,
    whose mail is free for anyone once its lease ends (counting it blocked the account)."""
    return (
        select(Message.account_id)
        .where(col(Message.claimed_by) == worker, Message.status == MessageStatus.RECEIVED)
        .group_by(col(Message.account_id))
        .having(func.count() >= share)
    )


def charge_crashed_worker(*, session: Session, pid: int) -> int:
    """The mails a worker process held when it died (its supervisor saw it) count one attempt
    each and are free again. Only such crashes count: a whole-service kill is not the mail's
    doing, and its claims are freed by the next start without a charge."""
    return claims.release_process(
        session,
        Message,
        pid=pid,
        ready=col(Message.status) == MessageStatus.RECEIVED,
        values={"attempts": Message.attempts + 1},
    )


def release_own_claims(*, session: Session, worker: str) -> int:
    return claims.release_own(session, Message, worker=worker)


def release_orphaned_claims(*, session: Session) -> int:
    return claims.release_orphans(session, Message)


def held_message(session: Session, message_id: str, worker: str) -> Message:
    """The mail `worker` claimed, locked for this transaction; ClaimLost when the claim has
    passed to another worker (this one stalled past its lease) or the mail is gone."""
    if not claims.hold(session, Message, row_id=message_id, worker=worker):
        raise ClaimLost(f"message {message_id} is no longer claimed by {worker}")
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound("message")
    return message


def mark_failed(*, session: Session, message_id: str, worker: str, reason: str) -> None:
    message = held_message(session, message_id, worker)
    message.status = MessageStatus.FAILED
    message.reason = reason[:1000]
    message.claimed_by = message.claimed_until = None
    message.processed_at = utcnow()
    session.add(message)
    emit(session=session, account_id=message.account_id, type="message.failed", subject_id=message.id)


def defer(
    *,
    session: Session,
    message_id: str,
    worker: str,
    reason: str,
    delay: Callable[[timedelta], timedelta | None],
) -> datetime | None:
    """Leave a mail `received` but out of reach until `delay(its age)` has passed: the lease of
    no worker, so no claim takes it earlier and no worker's release frees it. Returns when;
    None, changing nothing, when `delay` says the mail has waited long enough."""
    message = held_message(session, message_id, worker)
    now = utcnow()
    wait = delay(now - message.received_at)
    if wait is None:
        return None
    message.claimed_by = None  # no worker's: it holds no slot and no release frees it early
    message.claimed_until = retry_at = now + wait
    message.reason = f"will try again: {reason}"[:1000]
    session.add(message)
    return retry_at


def claim_for_reprocessing(*, session: Session, message_id: str, worker: str, lease: timedelta) -> Message:
    """Put a mail back to `received`, claimed by `worker` so no other worker races it.

    A mail another worker holds a live claim on is refused: it is being processed right now.
    """
    found = session.get(Message, message_id)
    if found is None:
        raise NotFound(f"no message {message_id}")
    if found.raw_removed_at is not None:
        raise Conflict(
            f"message {message_id} cannot be processed again: its raw mail was removed by retention"
        )
    claimed = claims.claim(
        session,
        Message,
        ready=col(Message.id) == message_id,
        order_by=col(Message.id),
        worker=worker,
        lease=lease,
        values={"status": MessageStatus.RECEIVED, "reason": "", "attempts": 0},
    )
    if claimed is None:
        raise Conflict(f"message {message_id} is being processed right now; try again later")
    message = session.get(Message, claimed, populate_existing=True)
    assert message is not None
    return message


def get_message(*, session: Session, account_id: str, message_id: str) -> MessageRead:
    message = _own_message(session, account_id, message_id)
    ids = document_ids_by_message(session=session, message_ids=[message.id])
    return message_read(message, ids[message.id])


def get_message_body(*, session: Session, account_id: str, message_id: str) -> MessageBody:
    message = _own_message(session, account_id, message_id)
    return MessageBody(text=message.text_body, html=message.html_body)


def _own_message(session: Session, account_id: str, message_id: str) -> Message:
    message = session.get(Message, message_id)
    if message is None or message.account_id != account_id:
        raise NotFound("message")
    return message


@dataclass(frozen=True, slots=True)
class RawMail:
    sha256: str  # the mail's bytes as received, in the blob store
    received_at: datetime


def raw_mail(*, session: Session, account_id: str, message_id: str) -> RawMail:
    """Where the account's mail is kept as it was received (NotFound for another account's, and
    once retention removed it: the bytes may live on for another account's copy, not for this)."""
    message = _own_message(session, account_id, message_id)
    if message.raw_removed_at is not None:
        raise NotFound("raw mail")
    return RawMail(sha256=message.raw_sha256, received_at=message.received_at)


def list_messages(
    *,
    session: Session,
    account_id: str,
    cursor: str | None = None,
    limit: int = 50,
    status: MessageStatus | None = None,
) -> tuple[list[MessageRead], str | None]:
    """Newest first (only those in `status`, when given), each with the ids of the documents
    it produced."""
    query = select(Message).where(Message.account_id == account_id)
    if status is not None:
        query = query.where(col(Message.status) == status)
    if cursor:
        when, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                col(Message.received_at) < when,
                and_(col(Message.received_at) == when, col(Message.id) < last_id),
            )
        )
    rows = list(
        session.exec(query.order_by(col(Message.received_at).desc(), col(Message.id).desc()).limit(limit + 1))
    )
    next_cursor = (
        encode_cursor(rows[limit - 1].received_at, rows[limit - 1].id) if len(rows) > limit else None
    )
    rows = rows[:limit]
    ids = document_ids_by_message(session=session, message_ids=[m.id for m in rows])
    return [message_read(m, ids[m.id]) for m in rows], next_cursor


def part_logs(*, session: Session, message_id: str) -> list[PartLogRead]:
    """The processing log of a mail the caller has already fetched with its account's scope."""
    rows = session.exec(
        select(PartLog).where(PartLog.message_id == message_id).order_by(col(PartLog.position))
    )
    return [part_log_read(row) for row in rows]


def document_ids_by_message(*, session: Session, message_ids: list[str]) -> dict[str, list[str]]:
    """Documents each mail produced or pointed to (duplicates point to the first copy)."""
    rows = session.exec(
        select(PartLog.message_id, PartLog.document_id)
        .where(col(PartLog.message_id).in_(message_ids), col(PartLog.document_id).is_not(None))
        .order_by(col(PartLog.position))
    ).all()
    result: dict[str, list[str]] = {mid: [] for mid in message_ids}
    for message_id, document_id in rows:
        if document_id is not None:  # excluded by the query; this tells the type checker
            result[message_id].append(document_id)
    return result


def count_backlog(*, session: Session) -> int:
    """Mails accepted and not yet processed (for the operator's backlog gauge)."""
    query = select(func.count()).select_from(Message).where(col(Message.status) == MessageStatus.RECEIVED)
    return session.exec(query).one()


def requeue(*, session: Session, account_id: str, message_id: str) -> None:
    """A finished mail of the account goes back to `received` for any worker to process again
    (idempotently); its attempts start over. A mail still waiting is left as it is."""
    get_message(session=session, account_id=account_id, message_id=message_id)  # NotFound: 404
    session.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status) != MessageStatus.RECEIVED)
        .values(status=MessageStatus.RECEIVED, reason="", attempts=0, claimed_by=None, claimed_until=None)
    )
