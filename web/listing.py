"""The documents list's state lives in the URL: parse it into a filter and write it back."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from fastapi import HTTPException
from starlette.datastructures import QueryParams

from storage.document_search import FLAGS, KINDS, SORTS, DocumentFilter
from web.errors import bad_from_date, bad_to_date

# The direction a column sorts in when first clicked: newest, largest first; suppliers A to Z.
FIRST_DIRECTION_DESCENDING = {"received": True, "date": True, "total": True, "supplier": False}
MAX_QUERY_CHARS = 200
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # what the date inputs send; fromisoformat takes more
DATE_REFUSALS: dict[str, Callable[[], HTTPException]] = {"from": bad_from_date, "to": bad_to_date}


class BadParameter(ValueError):
    """A list parameter the API refuses; names the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def filter_from_query(params: QueryParams) -> DocumentFilter:
    """For pages: unknown choices fall back to "no filter" rather than failing; a malformed
    date is a 400 that names it, since dropping it would show (and export) documents outside
    the asked-for dates."""
    return _parse(params, strict=False)


def strict_filter_from_query(params: QueryParams) -> DocumentFilter:
    """For the API: the same parameters, but a value we do not know is a BadParameter."""
    return _parse(params, strict=True)


def _parse(params: QueryParams, *, strict: bool) -> DocumentFilter:
    def one_of(name: str, allowed: tuple[str, ...], default: str = "") -> str:
        value = params.get(name, default)
        if value in allowed or value == default:
            return value
        if strict:
            raise BadParameter(name, f"{value!r} is not one of {', '.join(allowed)}")
        return default

    def day(name: str) -> date | None:
        value = params.get(name, "").strip()
        if not value:
            return None
        try:
            if ISO_DAY.fullmatch(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        if strict:
            raise BadParameter(name, f"{value!r} is not a date (YYYY-MM-DD)")
        raise DATE_REFUSALS[name]()

    def moment(name: str) -> datetime | None:
        value = params.get(name, "")
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
        except ValueError:
            when = None
            if strict:
                raise BadParameter(name, f"{value!r} is not an ISO 8601 date and time") from None
        return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)

    sort = one_of("sort", SORTS, "received")
    direction = one_of("dir", ("asc", "desc"))
    # The list's "Status" select is named `flag`; the API calls the same filter `status`.
    flag_name = "status" if "status" in params else "flag"
    return DocumentFilter(
        query=params.get("q", "").strip()[:MAX_QUERY_CHARS],
        sender=params.get("sender", "").strip()[:MAX_QUERY_CHARS],
        kind=one_of("kind", KINDS),
        flag=one_of(flag_name, FLAGS),
        received_from=day("from"),
        received_to=day("to"),
        tag=params.get("tag", "").strip()[:MAX_QUERY_CHARS],
        sort=sort,
        descending=FIRST_DIRECTION_DESCENDING[sort] if not direction else direction == "desc",
        since=moment("since"),
        supplier_id=params.get("supplier_id", "").strip()[:MAX_QUERY_CHARS],
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
        "supplier_id": filters.supplier_id,
        "tag": filters.tag,
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
