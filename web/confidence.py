"""Which fields of a document to mark for checking (storage/to_check.py has the rule)."""

from __future__ import annotations

from typing import Any

from storage.to_check import CHECKED_FIELDS, fields_to_check


def unsure_fields(doc: Any) -> frozenset[str]:
    invoice = doc.invoice
    if invoice is None:
        return frozenset()
    present = [name for name in CHECKED_FIELDS if getattr(invoice, name) is not None]
    return fields_to_check(invoice.source, present, invoice.confidence, doc.corrections)
