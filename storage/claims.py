"""Claim a job with a lease: one statement takes one free row for one worker, for a while.

Generic over any table with `id`, `claimed_by` and `claimed_until` columns (mails now, webhook
deliveries next). A claim names its worker ("host:pid:random") so that nobody but its owner
releases it while it lives; an expired lease is free for anyone; a claim whose owner process
is gone from this host is free at once.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Update, and_, exists, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session

from storage.models import utcnow

MAX_LOST_RACES = 100  # a bound, not a wait: every lost race means someone else took a job


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def free(table: Any, now: datetime) -> ColumnElement[bool]:
    return or_(table.claimed_until.is_(None), table.claimed_until < now)


def claim(
    session: Session,
    table: Any,
    *,
    ready: ColumnElement[bool],
    order_by: Any,
    worker: str,
    lease: timedelta,
    values: dict | None = None,
) -> str | None:
    """Claim the first ready, free row for `worker`; its id, or None when no such row is left.

    A worker that lost a race (its candidate went to another in between) tries again at once.
    """
    for _ in range(MAX_LOST_RACES):
        now = utcnow()
        candidate = select(table.id).where(ready, free(table, now)).order_by(order_by).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            candidate = candidate.with_for_update(skip_locked=True)
        taken = session.execute(
            update(table)
            # `ready` again, not only the lease: a row another worker has just finished (and
            # freed) since the candidate was chosen is not ready any more.
            .where(and_(table.id == candidate.scalar_subquery(), ready, free(table, now)))
            .values(claimed_by=worker, claimed_until=now + lease, **(values or {}))
            .returning(table.id)
        ).first()
        if taken is not None:
            return taken[0]
        if not session.execute(select(exists().where(ready, free(table, now)))).scalar():
            return None
    return None


def hold(session: Session, table: Any, *, row_id: str, worker: str) -> bool:
    """Whether `worker` still holds its claim on row `row_id`. If so the row stays locked for the
    rest of the caller's transaction, so no takeover slips between this check and the caller's
    writes (a claim racing it waits, then finds the row no longer ready)."""
    touched = update(table).where(table.id == row_id, table.claimed_by == worker).values(claimed_by=worker)
    return _changed(session, touched) == 1


def release_own(session: Session, table: Any, *, worker: str) -> int:
    """Give back every claim `worker` still holds (at shutdown); others' claims stay."""
    return _changed(
        session, update(table).where(table.claimed_by == worker).values(claimed_by=None, claimed_until=None)
    )


def release_orphans(session: Session, table: Any, *, alive: Callable[[int], bool] | None = None) -> int:
    """Free the live-leased claims of workers on this host whose process is gone (kill -9).

    Only this host's: a pid says nothing about another machine. A reused pid keeps the claim
    until its lease ends, which is safe.
    """
    alive = alive or process_alive
    host = socket.gethostname()
    holders = session.execute(select(table.claimed_by).where(table.claimed_by.is_not(None)).distinct())
    ours = [holder for holder in holders.scalars() if holder.rpartition(":")[0].rpartition(":")[0] == host]
    dead = [holder for holder in ours if not alive(int(holder.split(":")[-2]))]
    if not dead:
        return 0
    return _changed(
        session, update(table).where(table.claimed_by.in_(dead)).values(claimed_by=None, claimed_until=None)
    )


def release_process(
    session: Session, table: Any, *, pid: int, ready: ColumnElement[bool], values: dict | None = None
) -> int:
    """Free the ready rows claimed by process `pid` of this host, which just died, setting
    `values` on them (its supervisor saw it die; nobody else can tell a crash from a stop)."""
    holder = f"{socket.gethostname()}:{pid}:"
    return _changed(
        session,
        update(table)
        .where(table.claimed_by.startswith(holder, autoescape=True), ready)
        .values(claimed_by=None, claimed_until=None, **(values or {})),
    )


def _changed(session: Session, statement: Update) -> int:
    result = cast(CursorResult, session.execute(statement))
    return result.rowcount


def process_alive(pid: int) -> bool:
    """Whether process `pid` of this host still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
