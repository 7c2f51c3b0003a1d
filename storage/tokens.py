"""API tokens: bearer secrets that act for one account, within their scopes.

Only a hash is stored; the secret is shown once. A revoked token stops working at the next
request, in every process (the row says so).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.errors import NotFound
from storage.models import Account, ApiToken, utcnow

PREFIX = "iib_"  # recognisable in logs and secret scanners
SCOPES = ("documents:read", "documents:write", "suppliers:write", "hooks")
LAST_USE_PRECISION = timedelta(minutes=1)  # not a write on every request


class UnknownScope(ValueError):
    """A scope that is not one of SCOPES; the message names it."""


@dataclass(frozen=True, slots=True)
class TokenRead:
    id: str
    account_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def create_token(
    *, session: Session, account_id: str, name: str, scopes: list[str] | tuple[str, ...] = ()
) -> tuple[TokenRead, str]:
    """The token and its secret; no scopes given means all of them."""
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise UnknownScope(f"unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}")
    chosen = [scope for scope in SCOPES if scope in scopes] if scopes else list(SCOPES)
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=_hash(secret), account_id=account_id, name=name, scopes=" ".join(chosen))
    session.add(row)
    session.flush()
    return _read(row), secret


def authenticate_token(*, session: Session, secret: str) -> TokenRead | None:
    """The live token with this secret, its last use noted; None for unknown or revoked ones,
    and for tokens of an account that is no longer active."""
    row = session.get(ApiToken, _hash(secret))
    if row is None or row.revoked_at is not None:
        return None
    account = session.get(Account, row.account_id)
    if account is None or not account.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_PRECISION:
        row.last_used_at = now
        session.add(row)
    return _read(row)


def list_tokens(*, session: Session, account_id: str) -> list[TokenRead]:
    """The account's live tokens, newest first."""
    rows = session.exec(
        select(ApiToken)
        .where(ApiToken.account_id == account_id, col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.created_at).desc())
    )
    return [_read(row) for row in rows]


def revoke_token(*, session: Session, token_id: str, account_id: str | None = None) -> TokenRead:
    """Revoke by id; with `account_id`, only that account's token (others' ids: NotFound)."""
    row = session.exec(select(ApiToken).where(ApiToken.id == token_id)).first()
    if row is None or (account_id is not None and row.account_id != account_id):
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    return _read(row)


def _read(row: ApiToken) -> TokenRead:
    return TokenRead(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        scopes=tuple(row.scopes.split()),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
