"""Which fields of a document to check: read from the text with little confidence, and not
corrected by hand since (an e-invoice's fields are given, not guessed: never marked)."""

from __future__ import annotations

from typing import Any

from vocabulary import InvoiceSource

LOW_CONFIDENCE = 0.6  # a value found under a weak label, or far from it (inbox/extract/fields.py)
CHECKED_FIELDS = ("number", "issue_date", "total", "seller")  # the fields the pages show first


def unsure_fields(doc: Any) -> frozenset[str]:
    invoice = doc.invoice
    if invoice is None or invoice.source != InvoiceSource.TEXT:
        return frozenset()
    return frozenset(
        name
        for name in CHECKED_FIELDS
        if getattr(invoice, name) is not None
        and invoice.confidence.get(name, 1.0) < LOW_CONFIDENCE
        and name not in doc.corrections
    )
