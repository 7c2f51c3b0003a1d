"""API tokens: bearer secrets that act for one account."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, col, select

from storage.models import Account, ApiToken

PREFIX = "iib_"  # recognisable in logs and secret scanners


def create_token(*, session: Session, account_id: str, name: str) -> str:
    """Returns the secret; it is shown once and never stored."""
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_hash(secret), account_id=account_id, name=name))
    return secret


def account_for_token(*, session: Session, secret: str) -> str | None:
    """The account a token acts for, while that account is active."""
    return session.exec(
        select(ApiToken.account_id)
        .join(Account, col(Account.id) == ApiToken.account_id)
        .where(ApiToken.token_hash == _hash(secret), col(Account.active).is_(True))
    ).first()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
