"""REST hooks: subscriptions, the outbox of events, deliveries and their attempts.

`emit` writes an event and one delivery per matching subscription in the caller's transaction
(the one that stored the document), so an event exists exactly when what it tells of does.
Dispatchers claim deliveries with a lease (storage/claims.py): several of them never send one
delivery at the same moment, and a killed one's work is taken over when its lease ends.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, update
from sqlmodel import Session, col, select

from storage import claims
from storage.errors import NotFound
from storage.models import Hook, HookAttempt, HookDelivery, HookEvent, utcnow

EVENTS = ("document.created", "message.failed")
PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"


@dataclass(frozen=True, slots=True)
class HookRead:
    id: str
    event: str
    target_url: str
    secret: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventRead:
    id: str  # the webhook-id, the same on every retry
    account_id: str
    type: str
    subject_id: str
    created_at: datetime
    payload: str | None


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A claimed delivery: what to send where."""

    id: str
    attempts: int  # before this one
    event: EventRead
    target_url: str
    secret: str


@dataclass(frozen=True, slots=True)
class AttemptRead:
    delivery_id: str
    event_id: str
    event: str
    state: str  # of the delivery now
    at: datetime
    status_code: int | None
    error: str
    duration_ms: int
    next_retry_at: datetime | None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def subscribe(*, session: Session, account_id: str, event: str, target_url: str) -> HookRead:
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; events are {', '.join(EVENTS)}")
    row = Hook(account_id=account_id, event=event, target_url=target_url, secret=new_secret())
    session.add(row)
    session.flush()
    return _hook_read(row)


def unsubscribe(*, session: Session, account_id: str, hook_id: str) -> None:
    _delete(session, _own_hook(session, account_id, hook_id))


def list_hooks(*, session: Session, account_id: str) -> list[HookRead]:
    rows = session.exec(
        select(Hook).where(Hook.account_id == account_id).order_by(col(Hook.created_at), col(Hook.id))
    )
    return [_hook_read(row) for row in rows]


def get_hook(*, session: Session, account_id: str, hook_id: str) -> HookRead:
    return _hook_read(_own_hook(session, account_id, hook_id))


def emit(*, session: Session, account_id: str, type: str, subject_id: str) -> EventRead:
    """The event, and a delivery for each subscription to it, in the caller's transaction."""
    now = utcnow()
    event = HookEvent(account_id=account_id, type=type, subject_id=subject_id, created_at=now)
    session.add(event)
    session.flush()
    hooks = session.exec(select(Hook.id).where(Hook.account_id == account_id, Hook.event == type))
    for hook_id in hooks:
        session.add(
            HookDelivery(account_id=account_id, hook_id=hook_id, event_id=event.id, next_attempt_at=now)
        )
    return _event_read(event)


def recent_events(*, session: Session, account_id: str, type: str, limit: int = 3) -> list[EventRead]:
    rows = session.exec(
        select(HookEvent)
        .where(HookEvent.account_id == account_id, HookEvent.type == type)
        .order_by(col(HookEvent.created_at).desc(), col(HookEvent.id).desc())
        .limit(limit)
    )
    return [_event_read(row) for row in rows]


def keep_payload(*, session: Session, event_id: str, payload: str) -> None:
    """The body as first rendered, so every retry sends the same bytes."""
    session.execute(
        update(HookEvent)
        .where(and_(col(HookEvent.id) == event_id, col(HookEvent.payload).is_(None)))
        .values(payload=payload)
    )


def claim_delivery(*, session: Session, worker: str, lease: timedelta) -> DeliveryJob | None:
    now = utcnow()
    claimed = claims.claim(
        session,
        HookDelivery,
        ready=and_(col(HookDelivery.state) == PENDING, col(HookDelivery.next_attempt_at) <= now),
        order_by=col(HookDelivery.next_attempt_at),
        worker=worker,
        lease=lease,
    )
    if claimed is None:
        return None
    delivery = session.get(HookDelivery, claimed, populate_existing=True)
    assert delivery is not None
    hook = session.get(Hook, delivery.hook_id)
    event = session.get(HookEvent, delivery.event_id)
    assert event is not None
    if hook is None:  # unsubscribed since: nothing to send
        delivery.state, delivery.claimed_by, delivery.claimed_until = CANCELLED, None, None
        session.add(delivery)
        return claim_delivery(session=session, worker=worker, lease=lease)
    return DeliveryJob(
        id=delivery.id,
        attempts=delivery.attempts,
        event=_event_read(event),
        target_url=hook.target_url,
        secret=hook.secret,
    )


def record_attempt(
    *,
    session: Session,
    delivery_id: str,
    worker: str,
    status_code: int | None,
    error: str,
    duration_ms: int,
    retry_waits: tuple[float, ...],
) -> str:
    """Log one attempt and decide what follows; returns the outcome: delivered, retrying,
    failed (schedule exhausted) or gone (the target answered 410: the subscription is deleted)."""
    delivery = session.get(HookDelivery, delivery_id)
    if delivery is None or delivery.claimed_by != worker:
        return "lost"  # our lease ended and another dispatcher took it over
    now = utcnow()
    delivery.attempts += 1
    delivery.claimed_by = delivery.claimed_until = None
    next_retry = None
    if status_code is not None and 200 <= status_code < 300:
        outcome, delivery.state = "delivered", DELIVERED
    elif status_code == 410:
        outcome, delivery.state = "gone", CANCELLED
    elif delivery.attempts <= len(retry_waits):
        outcome = "retrying"
        next_retry = now + timedelta(seconds=retry_waits[delivery.attempts - 1])
    else:
        outcome, delivery.state = "failed", FAILED
    delivery.next_attempt_at = next_retry
    session.add(delivery)
    session.add(
        HookAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=status_code,
            error=error[:1000],
            duration_ms=duration_ms,
            next_retry_at=next_retry,
        )
    )
    if outcome == "gone":
        hook = session.get(Hook, delivery.hook_id)
        if hook is not None:
            _delete(session, hook)
    return outcome


def attempts_of(*, session: Session, account_id: str, hook_id: str, limit: int = 200) -> list[AttemptRead]:
    """Every attempt of the subscription's deliveries, newest first."""
    _own_hook(session, account_id, hook_id)
    return _attempts(session, account_id, limit, col(HookDelivery.hook_id) == hook_id)


def recent_attempts(*, session: Session, account_id: str, limit: int = 20) -> list[AttemptRead]:
    """The account's latest attempts over all its subscriptions (the Integrations page)."""
    return _attempts(session, account_id, limit)


def _attempts(session: Session, account_id: str, limit: int, *where: Any) -> list[AttemptRead]:
    rows = session.exec(
        select(HookAttempt, HookDelivery, HookEvent)
        .join(HookDelivery, col(HookDelivery.id) == col(HookAttempt.delivery_id))
        .join(HookEvent, col(HookEvent.id) == col(HookDelivery.event_id))
        .where(HookDelivery.account_id == account_id, *where)
        .order_by(col(HookAttempt.at).desc(), col(HookAttempt.id).desc())
        .limit(limit)
    )
    return [
        AttemptRead(
            delivery_id=delivery.id,
            event_id=event.id,
            event=event.type,
            state=delivery.state,
            at=attempt.at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
            next_retry_at=attempt.next_retry_at,
        )
        for attempt, delivery, event in rows
    ]


def retry_now(*, session: Session, account_id: str, delivery_id: str) -> None:
    """Send again at the dispatcher's next look, also a delivery that was given up on."""
    delivery = session.get(HookDelivery, delivery_id)
    if delivery is None or delivery.account_id != account_id or delivery.state == CANCELLED:
        raise NotFound("delivery")
    if session.get(Hook, delivery.hook_id) is None:
        raise NotFound("delivery")
    delivery.state, delivery.next_attempt_at = PENDING, utcnow()
    session.add(delivery)


def _own_hook(session: Session, account_id: str, hook_id: str) -> Hook:
    row = session.get(Hook, hook_id)
    if row is None or row.account_id != account_id:
        raise NotFound("hook")
    return row


def _delete(session: Session, hook: Hook) -> None:
    session.execute(
        update(HookDelivery)
        .where(and_(col(HookDelivery.hook_id) == hook.id, col(HookDelivery.state) == PENDING))
        .values(state=CANCELLED, next_attempt_at=None)
    )
    session.delete(hook)


def _hook_read(row: Hook) -> HookRead:
    return HookRead(
        id=row.id, event=row.event, target_url=row.target_url, secret=row.secret, created_at=row.created_at
    )


def _event_read(row: HookEvent) -> EventRead:
    return EventRead(
        id=row.id,
        account_id=row.account_id,
        type=row.type,
        subject_id=row.subject_id,
        created_at=row.created_at,
        payload=row.payload,
    )
