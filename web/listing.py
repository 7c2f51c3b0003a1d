"""The documents list's state lives in the URL: parse it into a filter and write it back."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date
from urllib.parse import urlencode

from fastapi import HTTPException
from starlette.datastructures import QueryParams

from storage.document_search import FLAGS, KINDS, SORTS, DocumentFilter
from web.errors import bad_from_date, bad_to_date

# The direction a column sorts in when first clicked: newest, largest first; suppliers A to Z.
FIRST_DIRECTION_DESCENDING = {"received": True, "date": True, "total": True, "supplier": False}
MAX_QUERY_CHARS = 200
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # what the date inputs send; fromisoformat takes more


def filter_from_query(params: QueryParams) -> DocumentFilter:
    """Unknown choices fall back to "no filter"; a malformed date is a 400 that names it, since
    silently dropping it would show (and export) documents outside the asked-for dates."""
    sort = params.get("sort", "received")
    sort = sort if sort in SORTS else "received"
    direction = params.get("dir")
    return DocumentFilter(
        query=params.get("q", "").strip()[:MAX_QUERY_CHARS],
        sender=params.get("sender", "").strip()[:MAX_QUERY_CHARS],
        kind=_one_of(params.get("kind", ""), KINDS),
        flag=_one_of(params.get("flag", ""), FLAGS),
        received_from=_day(params.get("from", ""), bad_from_date),
        received_to=_day(params.get("to", ""), bad_to_date),
        sort=sort,
        descending=FIRST_DIRECTION_DESCENDING[sort] if direction is None else direction != "asc",
    )


def to_query(filters: DocumentFilter, **changes) -> str:
    """The query string (without "?") for `filters` with `changes`, leaving out defaults."""
    filters = dataclasses.replace(filters, **changes)
    pairs = {
        "q": filters.query,
        "sender": filters.sender,
        "kind": filters.kind,
        "flag": filters.flag,
        "from": filters.received_from.isoformat() if filters.received_from else "",
        "to": filters.received_to.isoformat() if filters.received_to else "",
    }
    if (filters.sort, filters.descending) != ("received", True):
        pairs["sort"] = filters.sort
        pairs["dir"] = "desc" if filters.descending else "asc"
    return urlencode({k: v for k, v in pairs.items() if v})


def sort_query(filters: DocumentFilter, sort: str) -> str:
    """Clicking a column header: sort by it, or flip the direction when it is already the sort."""
    descending = not filters.descending if filters.sort == sort else FIRST_DIRECTION_DESCENDING[sort]
    return to_query(filters, sort=sort, descending=descending)


def is_filtered(filters: DocumentFilter) -> bool:
    empty = DocumentFilter(sort=filters.sort, descending=filters.descending)
    return filters != empty


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def _day(value: str, refusal: Callable[[], HTTPException]) -> date | None:
    value = value.strip()
    if not value:
        return None
    if not ISO_DAY.fullmatch(value):
        raise refusal()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise refusal() from None
