"""Suppliers of an account: created or updated by an import, matched to documents.

A document belongs to a supplier when its e-invoice seller VAT id equals the supplier's, or
else when its sender address is one of the supplier's e-mails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import func
from sqlmodel import Session, col, or_, select, update

from storage.errors import NotFound
from storage.models import Document, Supplier, utcnow


@dataclass(frozen=True, slots=True)
class SupplierIn:
    name: str
    emails: tuple[str, ...] = ()
    vat_id: str | None = None
    iban: str | None = None


@dataclass(frozen=True, slots=True)
class SupplierRead:
    id: str
    name: str
    emails: tuple[str, ...]
    vat_id: str | None
    iban: str | None
    created_at: datetime
    updated_at: datetime


def normalise_vat_id(vat_id: str | None) -> str | None:
    cleaned = re.sub(r"[\s.\-]", "", vat_id or "").upper()
    return cleaned or None


def normalise_emails(emails: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for email in emails:
        address = parseaddr(email)[1].strip().lower()
        if address:
            seen[address] = None
    return tuple(seen)


def upsert_supplier(*, session: Session, account_id: str, supplier: SupplierIn) -> tuple[SupplierRead, bool]:
    """Update the supplier with this VAT id, else one with one of these e-mails, else create one.

    Returns it and whether it was created. Its documents are matched again either way.
    """
    vat_id, emails = normalise_vat_id(supplier.vat_id), normalise_emails(supplier.emails)
    row = _find(session, account_id, vat_id, emails)
    created = row is None
    if row is None:
        row = Supplier(account_id=account_id, name=supplier.name)
    # An update changes what it names: fields left out (no e-mails, no VAT id) stay as they are.
    row.name = supplier.name
    if emails or created:
        row.emails = "\n".join(emails)
    if vat_id or created:
        row.vat_id = vat_id
    if supplier.iban or created:
        row.iban = re.sub(r"\s", "", supplier.iban or "").upper() or None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _match_existing(session, row)
    return supplier_read(row), created


def find_supplier(*, session: Session, account_id: str, supplier: SupplierIn) -> SupplierRead | None:
    """The supplier an upsert of `supplier` would update, if any."""
    row = _find(session, account_id, normalise_vat_id(supplier.vat_id), normalise_emails(supplier.emails))
    return None if row is None else supplier_read(row)


def list_suppliers(*, session: Session, account_id: str) -> list[SupplierRead]:
    rows = session.exec(
        select(Supplier)
        .where(Supplier.account_id == account_id)
        .order_by(col(Supplier.name), col(Supplier.id))
    )
    return [supplier_read(row) for row in rows]


def get_supplier(*, session: Session, account_id: str, supplier_id: str) -> SupplierRead:
    row = session.get(Supplier, supplier_id)
    if row is None or row.account_id != account_id:
        raise NotFound("supplier")
    return supplier_read(row)


def match_supplier(
    *, session: Session, account_id: str, sender: str, seller_vat_id: str | None
) -> str | None:
    """The id of the account's supplier for a document: by seller VAT id first, then sender."""
    vat_id = normalise_vat_id(seller_vat_id)
    if vat_id:
        found = session.exec(
            select(Supplier.id).where(Supplier.account_id == account_id, Supplier.vat_id == vat_id)
        ).first()
        if found:
            return found
    address = parseaddr(sender)[1].strip().lower()
    if not address:
        return None
    candidates = session.exec(
        select(Supplier).where(Supplier.account_id == account_id, col(Supplier.emails).contains(address))
    )
    for candidate in candidates:  # `contains` is a prefilter; the list decides
        if address in candidate.emails.split("\n"):
            return candidate.id
    return None


def _find(session: Session, account_id: str, vat_id: str | None, emails: tuple[str, ...]) -> Supplier | None:
    if vat_id:
        row = session.exec(
            select(Supplier).where(Supplier.account_id == account_id, Supplier.vat_id == vat_id)
        ).first()
        if row is not None:
            return row
    for email in emails:
        rows = session.exec(
            select(Supplier).where(Supplier.account_id == account_id, col(Supplier.emails).contains(email))
        )
        for row in rows:
            if email in row.emails.split("\n"):
                return row
    return None


def _match_existing(session: Session, supplier: Supplier) -> None:
    """Documents of the account that this supplier's VAT id or e-mails now claim."""
    conditions = []
    if supplier.vat_id:
        conditions.append(func.upper(func.replace(Document.seller_vat_id, " ", "")) == supplier.vat_id)
    for email in supplier.emails.split("\n") if supplier.emails else []:
        conditions.append(col(Document.sender).contains(email))
    if not conditions:
        return
    candidates = session.exec(
        select(Document).where(Document.account_id == supplier.account_id, or_(*conditions))
    )
    for document in candidates:
        found = match_supplier(
            session=session,
            account_id=supplier.account_id,
            sender=document.sender,
            seller_vat_id=document.seller_vat_id,
        )
        if found != document.supplier_id:
            session.execute(update(Document).where(col(Document.id) == document.id).values(supplier_id=found))


def supplier_read(row: Supplier) -> SupplierRead:
    return SupplierRead(
        id=row.id,
        name=row.name,
        emails=tuple(e for e in row.emails.split("\n") if e),
        vat_id=row.vat_id,
        iban=row.iban,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
