"""Signed amounts: a credit note reduces what is owed, so lists and exports show it negative
(invoices state their amounts positive whatever their type)."""

from __future__ import annotations

from decimal import Decimal

from vocabulary import InvoiceFields, InvoiceType


def signed_total(invoice: InvoiceFields | None) -> Decimal | None:
    if invoice is None or invoice.total is None:
        return None
    if invoice.type == InvoiceType.CREDIT_NOTE:
        return -abs(invoice.total)
    return invoice.total
