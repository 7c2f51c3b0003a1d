"""Received mails: recording them at accept time, claiming them for processing, listing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, update
from sqlmodel import Session, col, select

from storage.errors import NotFound
from storage.models import Account, Message, MessageStatus, PartLog, utcnow
from storage.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True, slots=True)
class Delivery:
    account: Account
    envelope_to: str


def record_received(
    *,
    session: Session,
    raw_sha256: str,
    raw_size: int,
    envelope_from: str,
    deliveries: list[Delivery],
) -> list[Message]:
    """One Message row per recipient account; the caller commits before answering 250."""
    now = utcnow()
    messages = [
        Message(
            account_id=d.account.id,
            raw_sha256=raw_sha256,
            raw_size=raw_size,
            envelope_from=envelope_from,
            envelope_to=d.envelope_to,
            received_at=now,
        )
        for d in deliveries
    ]
    session.add_all(messages)
    return messages


def claim_next(*, session: Session, lease: timedelta) -> Message | None:
    """Take the oldest unprocessed message whose lease is free, for `lease`.

    A lease (not a flag) so that a worker killed mid-way leaves work that another can take.
    """
    now = utcnow()
    free = or_(col(Message.claimed_until).is_(None), col(Message.claimed_until) < now)
    candidate = session.exec(
        select(Message.id)
        .where(Message.status == MessageStatus.RECEIVED, free)
        .order_by(col(Message.received_at))
        .limit(1)
    ).first()
    if candidate is None:
        return None
    taken = session.execute(
        update(Message)
        # Status too, not only the lease: another loop may have finished it since the select.
        .where(and_(col(Message.id) == candidate, col(Message.status) == MessageStatus.RECEIVED, free))
        .values(claimed_until=now + lease, attempts=Message.attempts + 1)
    )
    if cast(CursorResult[Any], taken).rowcount != 1:  # another worker was faster
        return None
    return session.get(Message, candidate)


def release_claims(*, session: Session) -> None:
    """At start-up of the single-process default nothing else can hold a claim."""
    session.execute(update(Message).where(col(Message.claimed_until).is_not(None)).values(claimed_until=None))


def mark_failed(*, session: Session, message_id: str, reason: str) -> None:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound("message")
    message.status = MessageStatus.FAILED
    message.reason = reason[:1000]
    message.claimed_until = None
    message.processed_at = utcnow()
    session.add(message)


def defer(
    *, session: Session, message_id: str, reason: str, delay: Callable[[timedelta], timedelta]
) -> datetime:
    """Leave a mail `received` but out of reach until `delay(its age)` has passed: the lease of
    no worker, so no claim takes it earlier and no worker's release frees it. Returns when."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound("message")
    now = utcnow()
    message.claimed_until = retry_at = now + delay(now - message.received_at)
    message.reason = f"will try again: {reason}"[:1000]
    session.add(message)
    return retry_at


def claim_for_reprocessing(*, session: Session, message_id: str, lease: timedelta) -> Message:
    """Put a mail back to `received`, claimed by the caller so no worker races it."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    message.status = MessageStatus.RECEIVED
    message.reason = ""
    message.attempts = 1
    message.claimed_until = utcnow() + lease
    session.add(message)
    return message


def get_message(*, session: Session, account_id: str, message_id: str) -> Message:
    message = session.get(Message, message_id)
    if message is None or message.account_id != account_id:
        raise NotFound("message")
    return message


def list_messages(
    *, session: Session, account_id: str, cursor: str | None = None, limit: int = 50
) -> tuple[list[Message], str | None]:
    query = select(Message).where(Message.account_id == account_id)
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
    return rows[:limit], next_cursor


def part_logs(*, session: Session, message_id: str) -> list[PartLog]:
    return list(
        session.exec(select(PartLog).where(PartLog.message_id == message_id).order_by(col(PartLog.position)))
    )


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


def requeue(*, session: Session, account_id: str, message_id: str) -> None:
    """A finished mail of the account goes back to `received` for any worker to process again
    (idempotently); its attempts start over. A mail still waiting is left as it is."""
    get_message(session=session, account_id=account_id, message_id=message_id)  # NotFound: 404
    session.execute(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status) != MessageStatus.RECEIVED)
        .values(status=MessageStatus.RECEIVED, reason="", attempts=0, claimed_until=None)
    )
