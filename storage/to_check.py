"""Which fields of a document a person should check: read from the text with little confidence
and not corrected by hand since (an e-invoice's fields are given, not guessed: never marked).

The web marks them ("?"); the documents list finds the documents that have any through a column
kept in step here (`Document.to_check`), so the filter is one indexed condition on both
databases rather than JSON read per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from storage.models import Document
from storage.read_models import corrected_names
from vocabulary import InvoiceSource, flat_name

LOW_CONFIDENCE = 0.6  # a value found under a weak label, or far from it (inbox/extract/fields.py)
CHECKED_FIELDS = ("number", "issue_date", "total", "seller")  # the fields the pages show first


def fields_to_check(
    source: str | None, present: Iterable[str], confidence: Mapping[str, float], corrected: Iterable[str]
) -> frozenset[str]:
    """Of the fields with a value (`present`), those read with a confidence under the threshold
    and not corrected by a person."""
    if source != InvoiceSource.TEXT.value:
        return frozenset()
    done = set(corrected)
    return frozenset(
        name
        for name in present
        if name in CHECKED_FIELDS and confidence.get(name, 1.0) < LOW_CONFIDENCE and name not in done
    )


def update_to_check(document: Document) -> None:
    """Set the document's `to_check` from its columns; call after its fields or corrections change."""
    document.to_check = needs_check({column: getattr(document, column) for column in COLUMNS})


COLUMNS = (
    "invoice_source",
    *(flat_name(name) for name in CHECKED_FIELDS),
    "invoice_confidence",
    "corrected_fields",
)


def needs_check(columns: Mapping[str, Any]) -> bool:
    """Whether a document row (its COLUMNS, as stored) has a field to check."""
    return bool(
        fields_to_check(
            columns["invoice_source"],
            [name for name in CHECKED_FIELDS if columns[flat_name(name)] is not None],
            _confidence(columns["invoice_confidence"]),
            corrected_names(columns["corrected_fields"]),
        )
    )


def _confidence(text: str | None) -> dict[str, float]:
    try:
        values = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(values, dict):
        return {}
    return {k: float(v) for k, v in values.items() if isinstance(v, int | float)}
