"""Failed logins, counted per key ("ip:…", "email:…") for rate limiting.

In the database rather than in memory: several web processes share one limit, and a restart
does not reset it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from storage.models import LoginFailure, utcnow

KEEP = timedelta(days=1)  # longer than any limit's window


def record_login_failure(*, session: Session, keys: list[str]) -> None:
    session.exec(
        delete(LoginFailure).where(col(LoginFailure.key).in_(keys), col(LoginFailure.at) < utcnow() - KEEP)
    )
    session.add_all(LoginFailure(key=key) for key in keys)


def failures_since(*, session: Session, key: str, since: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.key == key, col(LoginFailure.at) >= since)
    ).one()


def forget_failures(*, session: Session, key: str) -> None:
    """After a successful login the e-mail's count starts again."""
    session.exec(delete(LoginFailure).where(col(LoginFailure.key) == key))
