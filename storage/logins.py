"""Login attempts counted per key ("ip:…", "account:…", …) for rate limiting, and the
browsers users logged in from.

In the database rather than in memory: several web processes share one limit, and a restart
does not reset it. An attempt is written (and committed) before its password is hashed, so
concurrent guesses count each other; one that is then refused is taken back.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from storage.models import KnownDevice, LoginFailure, utcnow

KEEP = timedelta(days=1)  # as long as the longest limit's window
DEVICE_LIFETIME = timedelta(days=365)


def start_attempt(*, session: Session, keys: list[str]) -> list[int]:
    """One row per key; returns their ids (to take the attempt back, or keep it as a failure)."""
    now = utcnow()
    session.exec(
        delete(LoginFailure).where(col(LoginFailure.key).in_(keys), col(LoginFailure.at) < now - KEEP)
    )
    rows = [LoginFailure(key=key, at=now) for key in keys]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows if row.id is not None]


def attempts_since(*, session: Session, key: str, since: datetime) -> list[tuple[int, datetime]]:
    """(id, time) of the key's attempts since then, failed or still being checked, oldest first."""
    rows = session.exec(
        select(LoginFailure.id, LoginFailure.at)
        .where(LoginFailure.key == key, col(LoginFailure.at) >= since)
        .order_by(col(LoginFailure.at))
    ).all()
    return [(row_id, at) for row_id, at in rows if row_id is not None]


def take_back(*, session: Session, attempt_ids: list[int]) -> None:
    """The attempt was refused before its password was checked, or it succeeded."""
    session.exec(delete(LoginFailure).where(col(LoginFailure.id).in_(attempt_ids)))


def forget_failures(*, session: Session, keys: list[str]) -> None:
    """After a successful login these keys (the owner's own device or address) start again."""
    session.exec(delete(LoginFailure).where(col(LoginFailure.key).in_(keys)))


def remember_device(*, session: Session, user_id: str) -> str:
    """A new known device for the user; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.exec(
        delete(KnownDevice).where(
            col(KnownDevice.user_id) == user_id, col(KnownDevice.created_at) < utcnow() - DEVICE_LIFETIME
        )
    )
    session.add(KnownDevice(token_hash=device_hash(token), user_id=user_id))
    return token


def device_user(*, session: Session, token: str) -> str | None:
    """The user whose device this cookie is, while it is valid."""
    if not token:
        return None
    row = session.get(KnownDevice, device_hash(token))
    if row is None or row.created_at < utcnow() - DEVICE_LIFETIME:
        return None
    return row.user_id


def device_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
