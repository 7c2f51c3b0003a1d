"""Plans and what an account used of them: documents this month, stored bytes, suppliers.

Mail and uploads count alike: both become documents. Deleted documents still count (the
trash keeps their bytes, and a month's quota is what came in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.accounts import get_account
from storage.models import Document, Supplier, utcnow


@dataclass(frozen=True, slots=True)
class Plan:
    """Limits; None is unlimited."""

    documents_per_month: int | None = None
    storage_limit_bytes: int | None = None
    suppliers: int | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    documents_this_month: int
    documents_per_month: int | None
    storage_bytes: int
    storage_limit_bytes: int | None
    suppliers: int
    suppliers_limit: int | None


@dataclass(frozen=True, slots=True)
class OverQuota:
    """What is used up, and when it frees itself (None: not by waiting)."""

    what: str
    retry_after_seconds: int


def set_plan(*, session: Session, account_id: str, plan: Plan) -> Plan:
    account = get_account(session=session, account_id=account_id)
    account.documents_per_month = plan.documents_per_month
    account.storage_limit_bytes = plan.storage_limit_bytes
    account.suppliers_limit = plan.suppliers
    session.add(account)
    return plan


def usage(*, session: Session, account_id: str, now: datetime | None = None) -> Usage:
    account = get_account(session=session, account_id=account_id)
    documents = _documents_this_month(session, account_id, now or utcnow())
    stored = _stored_bytes(session, account_id)
    suppliers = session.exec(
        select(func.count()).select_from(Supplier).where(Supplier.account_id == account_id)
    ).one()
    return Usage(
        documents_this_month=documents,
        documents_per_month=account.documents_per_month,
        storage_bytes=stored,
        storage_limit_bytes=account.storage_limit_bytes,
        suppliers=suppliers,
        suppliers_limit=account.suppliers_limit,
    )


def documents_over_quota(
    *, session: Session, account_id: str, adding_bytes: int = 0, now: datetime | None = None
) -> OverQuota | None:
    """Whether one more document (of `adding_bytes`) is beyond the plan, and what is used up."""
    # Asked at every RCPT: counts only what the plan limits (none by default), as each one reads
    # the account's documents.
    now = now or utcnow()
    account = get_account(session=session, account_id=account_id)
    per_month, storage_limit = account.documents_per_month, account.storage_limit_bytes
    if per_month is not None and _documents_this_month(session, account_id, now) >= per_month:
        return OverQuota("documents this month", _seconds_to_next_month(now))
    if storage_limit is not None and _stored_bytes(session, account_id) + adding_bytes > storage_limit:
        return OverQuota("storage", STORAGE_RETRY_SECONDS)
    return None


def _documents_this_month(session: Session, account_id: str, now: datetime) -> int:
    query = select(func.count()).select_from(Document)
    return session.exec(
        query.where(Document.account_id == account_id, col(Document.received_at) >= _month_start(now))
    ).one()


def _stored_bytes(session: Session, account_id: str) -> int:
    query = select(func.coalesce(func.sum(Document.size), 0)).where(Document.account_id == account_id)
    return int(session.exec(query).one())


def suppliers_over_quota(*, session: Session, account_id: str) -> OverQuota | None:
    used = usage(session=session, account_id=account_id)
    if used.suppliers_limit is not None and used.suppliers >= used.suppliers_limit:
        return OverQuota("suppliers", STORAGE_RETRY_SECONDS)
    return None


# Storage and suppliers free up only when the account deletes something: ask again in a day.
STORAGE_RETRY_SECONDS = 86_400


def _month_start(now: datetime) -> datetime:
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def _seconds_to_next_month(now: datetime) -> int:
    start = _month_start(now)
    following = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return max(1, int((following - now).total_seconds()))
