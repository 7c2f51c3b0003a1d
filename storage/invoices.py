"""Invoice fields to Document columns and back, by iterating vocabulary.InvoiceFields.

A field's column is its vocabulary.flat_name (`number` → `invoice_number`, `seller` → `seller`).
Values are stored exactly: decimals as their string, line items and confidences as JSON.
"""

from __future__ import annotations

import json
import typing
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from storage.models import Document
from vocabulary import INVOICE_FIELDS, InvoiceFields, InvoiceLine, flat_name

_TYPES = typing.get_type_hints(InvoiceFields)
_LINE_TYPES = typing.get_type_hints(InvoiceLine)


INVOICE_COLUMNS = tuple(flat_name(name) for name in INVOICE_FIELDS)


def to_columns(fields: InvoiceFields | None) -> dict[str, Any]:
    """Every invoice column with its value; all None when there is no invoice."""
    if fields is None:
        return dict.fromkeys(INVOICE_COLUMNS)
    return {flat_name(name): column_value(name, getattr(fields, name)) for name in INVOICE_FIELDS}


def from_columns(document: Document) -> InvoiceFields | None:
    """The invoice recorded for a document, None when none was read."""
    if document.invoice_source is None:
        return None
    values = {name: _from_column(name, getattr(document, flat_name(name))) for name in INVOICE_FIELDS}
    return InvoiceFields(**values)


def column_value(name: str, value: Any) -> Any:
    if name == "lines":
        return (
            json.dumps([{k: _plain(getattr(line, k)) for k in _LINE_TYPES} for line in value])
            if value
            else None
        )
    if name == "confidence":
        return json.dumps(value) if value else None
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):  # StrEnum members too: the column holds the plain value
        return str(value)
    return value


def _from_column(name: str, value: Any) -> Any:
    if name == "lines":
        return tuple(InvoiceLine(**_line(item)) for item in _json(value, list))
    if name == "confidence":
        return {k: float(v) for k, v in _json(value, dict).items() if isinstance(v, int | float)}
    return _typed(_TYPES[name], value)


def _line(item: dict) -> dict[str, Any]:
    return {k: _typed(hint, item.get(k)) for k, hint in _LINE_TYPES.items()}


def _typed(hint: Any, value: Any) -> Any:
    """A column's value as the field's type: exact decimals and dates come back from text."""
    if value is None:
        return None
    try:
        if Decimal in typing.get_args(hint):
            return Decimal(str(value))
        if date in typing.get_args(hint) and isinstance(value, str):
            return date.fromisoformat(value)
    except (InvalidOperation, ValueError):
        return None
    return value


def _json(text: str | None, kind: type) -> Any:
    if not text:
        return kind()
    try:
        value = json.loads(text)
    except ValueError:
        return kind()
    if kind is list:
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
    return value if isinstance(value, kind) else kind()
