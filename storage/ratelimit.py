"""Requests per key (an API token's id) in a sliding minute, counted in the database so that
every web process enforces one limit.

A sliding-window counter: one row per key and clock minute; the previous minute's count
weighs by the part of it still inside the last 60 s. A request is counted only when it may
go, in one statement (an upsert whose update is conditional), so two processes racing for
the last slot cannot both take it.
"""

from __future__ import annotations

import math

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from storage.models import ApiRate

WINDOW_SECONDS = 60


def take(*, session: Session, key: str, per_minute: int, now: float) -> int:
    """0 when the request may go (and is counted); else the seconds to wait (Retry-After)."""
    minute, into = divmod(now, WINDOW_SECONDS)
    before = _count(session, key, int(minute) - 1)
    allowance = per_minute - before * (1 - into / WINDOW_SECONDS)  # slots left this minute
    counted = _count_if_below(session, key, int(minute), allowance) if allowance > 0 else None
    if counted is None:
        return _wait(before, _count(session, key, int(minute)), per_minute, into)
    if counted == 1:  # a new minute for this key: older rows no longer count
        session.exec(delete(ApiRate).where(col(ApiRate.token_id) == key, col(ApiRate.minute) < minute - 1))
    return 0


def _count(session: Session, key: str, minute: int) -> int:
    row = session.exec(select(ApiRate.count).where(ApiRate.token_id == key, ApiRate.minute == minute)).first()
    return row or 0


def _count_if_below(session: Session, key: str, minute: int, allowance: float) -> int | None:
    """The minute's count after adding this request, or None when it had reached `allowance`."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = ApiRate.__table__  # type: ignore[attr-defined]
    statement = (
        dialect.insert(table)
        .values(token_id=key, minute=minute, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.token_id, table.c.minute],
            set_={"count": table.c.count + 1},
            where=table.c.count < allowance,
        )
        .returning(table.c.count)
    )
    return session.execute(statement).scalar()


def _wait(before: int, current: int, per_minute: int, into: float) -> int:
    """Seconds until previous * (share of it still in the window) + current < per_minute."""
    if current < per_minute and before:
        share_needed = 1 - (per_minute - current) / before  # of the minute that must have passed
        seconds = share_needed * WINDOW_SECONDS - into
    else:  # this minute alone is full: the next one starts with it as its previous minute
        seconds = WINDOW_SECONDS - into + WINDOW_SECONDS * max(0.0, 1 - per_minute / max(current, 1))
    return min(WINDOW_SECONDS, max(1, math.ceil(seconds)))
