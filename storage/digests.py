"""The daily digest's bookkeeping: which account's digest of which day is claimed or sent, and
what it reports (mail refused at RCPT and mail that failed processing).

A row per account and day is the claim: two serve processes never both send one. A claim
lasts CLAIM_LEASE; a process that could not send releases it, so the next round retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, Update, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Account, DigestRun, Message, RejectedMail, User, utcnow
from vocabulary import MessageStatus, Role

CLAIM_LEASE = timedelta(minutes=10)
DAY = timedelta(days=1)
LONGEST_WINDOW = timedelta(days=2)  # after a longer stop, the digest reports the last day only
MAX_LINES = 200  # per kind: a digest stays readable


@dataclass(frozen=True, slots=True)
class DigestItem:
    at: datetime
    sender: str
    reason: str


@dataclass(frozen=True, slots=True)
class Owner:
    email: str
    language: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class DigestContent:
    account_name: str
    since: datetime
    until: datetime
    refused: list[DigestItem]
    failed: list[DigestItem]
    owners: list[Owner]


def accounts_due(*, session: Session, day: date) -> list[str]:
    """Active accounts whose digest of this day is not sent yet."""
    done = select(DigestRun.account_id).where(DigestRun.day == day, col(DigestRun.sent_at).is_not(None))
    rows = session.exec(select(Account.id).where(col(Account.active).is_(True), col(Account.id).not_in(done)))
    return list(rows)


def claim_digest(*, session: Session, account_id: str, day: date, holder: str) -> bool:
    """True when this holder now has the day's digest of the account to send."""
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(
                DigestRun(
                    account_id=account_id,
                    day=day,
                    claimed_by=holder,
                    claimed_until=now + CLAIM_LEASE,
                    covered_until=now,
                )
            )
            session.flush()
        return True
    except IntegrityError:
        pass
    taken = cast(
        CursorResult,
        session.execute(
            update(DigestRun)
            .where(
                col(DigestRun.account_id) == account_id,
                col(DigestRun.day) == day,
                col(DigestRun.sent_at).is_(None),
                col(DigestRun.claimed_until) <= now,
            )
            .values(claimed_by=holder, claimed_until=now + CLAIM_LEASE, covered_until=now)
        ),
    )
    return taken.rowcount == 1


def digest_content(*, session: Session, account_id: str, day: date) -> DigestContent:
    """What the claimed digest reports: from the end of the last one sent (at most
    LONGEST_WINDOW back; the last 24 h without one) to the claim."""
    run = session.get(DigestRun, (account_id, day))
    assert run is not None, "digest_content needs the day's claim"
    until = run.covered_until
    previous = session.exec(
        select(func.max(DigestRun.covered_until)).where(
            DigestRun.account_id == account_id, col(DigestRun.sent_at).is_not(None), DigestRun.day < day
        )
    ).one()
    since = previous if previous is not None and previous >= until - LONGEST_WINDOW else until - DAY
    refused = session.exec(
        select(RejectedMail)
        .where(
            RejectedMail.account_id == account_id, col(RejectedMail.at) >= since, col(RejectedMail.at) < until
        )
        .order_by(col(RejectedMail.at))
        .limit(MAX_LINES)
    )
    failed = session.exec(
        select(Message)
        .where(
            Message.account_id == account_id,
            Message.status == MessageStatus.FAILED,
            col(Message.processed_at) >= since,
            col(Message.processed_at) < until,
        )
        .order_by(col(Message.processed_at))
        .limit(MAX_LINES)
    )
    owners = session.exec(
        select(User)
        .where(User.account_id == account_id, User.role == Role.OWNER.value)
        .order_by(col(User.created_at))
    )
    account = session.get(Account, account_id)
    return DigestContent(
        account_name=account.name if account else "",
        since=since,
        until=until,
        refused=[DigestItem(r.at, r.envelope_from, r.reason) for r in refused],
        failed=[
            DigestItem(m.processed_at or m.received_at, m.sender or m.envelope_from, m.reason) for m in failed
        ],
        owners=[Owner(u.email, u.language, u.time_zone) for u in owners],
    )


def finish_digest(*, session: Session, account_id: str, day: date, holder: str) -> None:
    session.execute(_held(account_id, day, holder).values(sent_at=utcnow()))


def release_digest(*, session: Session, account_id: str, day: date, holder: str) -> None:
    """Not sent: the next round (of any process) takes it again."""
    session.execute(_held(account_id, day, holder).values(claimed_until=utcnow()))


def _held(account_id: str, day: date, holder: str) -> Update:
    """The day's digest of the account, while this holder has it and it is not sent."""
    return update(DigestRun).where(
        col(DigestRun.account_id) == account_id,
        col(DigestRun.day) == day,
        col(DigestRun.claimed_by) == holder,
        col(DigestRun.sent_at).is_(None),
    )
