"""Where each supplier prints its fields, per account: learnt from corrections, read first."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import SupplierHint, utcnow

MAX_HINTS = 30_000  # ten thousand suppliers with three fields each


def remember_hint(
    *, session: Session, account_id: str, supplier: str, field: str, label: str, place: str
) -> None:
    """The latest correction of a field wins for that supplier (its address, lower case)."""
    current = session.exec(
        select(SupplierHint).where(
            SupplierHint.account_id == account_id,
            SupplierHint.supplier == supplier,
            SupplierHint.field == field,
        )
    ).first()
    hint = current or SupplierHint(account_id=account_id, supplier=supplier, field=field, label="", place="")
    hint.label, hint.place, hint.learnt_at = label, place, utcnow()
    session.add(hint)
    session.flush()


def hint_book(*, session: Session, account_id: str) -> list[SupplierHint]:
    """Every hint of the account, by supplier then field."""
    return list(
        session.exec(
            select(SupplierHint)
            .where(SupplierHint.account_id == account_id)
            .order_by(SupplierHint.supplier, SupplierHint.field)
            .limit(MAX_HINTS)
        )
    )
