"""Password-reset links: single use, expiring, only their hash stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.accounts import normalise_email, set_password
from storage.models import PasswordReset, User, utcnow
from storage.read_models import UserRead, user_read

RESET_LIFETIME = timedelta(hours=1)


def create_reset(*, session: Session, email: str) -> tuple[str, UserRead] | None:
    """A new link's token for the user with this e-mail (None for an unknown address)."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(token_hash=_hash(token), user_id=user.id, expires_at=utcnow() + RESET_LIFETIME))
    return token, user_read(user)


def reset_is_valid(*, session: Session, token: str) -> bool:
    row = session.get(PasswordReset, _hash(token))
    return row is not None and row.used_at is None and row.expires_at > utcnow()


def use_reset(*, session: Session, token: str, password: str) -> bool:
    """Sets the password if the link is unused and unexpired; it, and every other link of the
    user, is then spent, and the user's sessions end. False: the link does not work."""
    now = utcnow()
    user_id = session.execute(
        update(PasswordReset)
        .where(
            col(PasswordReset.token_hash) == _hash(token),
            col(PasswordReset.used_at).is_(None),
            col(PasswordReset.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(PasswordReset.user_id))
    ).scalar_one_or_none()
    if user_id is None:  # an atomic claim: two uses at once cannot both succeed
        return False
    session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == user_id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    set_password(session=session, user_id=user_id, password=password)
    return True


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
