"""The documents list: filters, full-text search, sorts and keyset pages, scoped by account."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import exists, func, tuple_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from storage.fulltext import fulltext_for
from storage.models import DOCUMENT_SORT_KEYS, Document, DocumentTag, PartLog
from storage.pagination import BadCursor, aware
from storage.read_models import DocumentRead, document_read, with_tags
from vocabulary import Decision, DocumentKind, InvoiceSource

KINDS = ("pdf", "einvoice", "image")  # the list's filter: an e-invoice is any XML-read invoice
FLAGS = ("unreadable", "duplicate", "check")  # check: a field read with little confidence
SORTS = tuple(DOCUMENT_SORT_KEYS)
# How far a search first walks the account's rows in order before it asks the full-text index for
# every match instead: this many rows per row of the page (2,040 for a page of 50 and its next).
WALKED_PER_ROW = 40

# Documents, their ids, or their ids and sort keys.
_Query = TypeVar("_Query", Select[Document, Any], SelectOfScalar[str], Select[str, Any])


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """What the user asked for; every field optional. `descending` applies to `sort`."""

    query: str = ""
    sender: str = ""
    kind: str = ""
    flag: str = ""
    received_from: date | None = None
    received_to: date | None = None
    tag: str = ""
    sort: str = "received"
    descending: bool = True
    since: datetime | None = None  # received strictly after (polling triggers)
    supplier_id: str = ""
    in_trash: bool = False  # the trash lists deleted documents; every other list hides them


def search_documents(
    *,
    session: Session,
    account_id: str,
    filters: DocumentFilter,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DocumentRead], str | None]:
    """One page in the chosen order; the cursor continues just after its last row."""
    key = DOCUMENT_SORT_KEYS[filters.sort]
    after = None
    if cursor:
        row_key, position = tuple_(key, Document.id), tuple_(*_decode_cursor(cursor, filters))
        after = row_key < position if filters.descending else row_key > position
    rows = _first_rows(session, account_id, filters, after, filters.descending, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        last, last_key = rows[limit - 1]
        next_cursor = _encode_cursor(filters, last_key, last.id)
    return with_tags(session, [document_read(doc) for doc, _ in rows[:limit]]), next_cursor


def previous_page_cursor(
    *, session: Session, account_id: str, filters: DocumentFilter, first_id: str, limit: int
) -> str | None:
    """The cursor that lists the page before the one starting at `first_id`: walking back
    `limit` rows in the opposite order; None when that page is the first one."""
    key = DOCUMENT_SORT_KEYS[filters.sort]
    first_key = session.exec(select(key).where(Document.id == first_id)).first()
    if first_key is None:
        return None
    row_key, position = tuple_(key, Document.id), tuple_(first_key, first_id)
    before = row_key > position if filters.descending else row_key < position
    rows = _first_rows(session, account_id, filters, before, not filters.descending, limit + 1)
    if len(rows) <= limit:
        return None  # the previous page is the first page
    row, row_key = rows[limit]
    return _encode_cursor(filters, row_key, row.id)


def count_documents(
    *, session: Session, account_id: str, filters: DocumentFilter, up_to: int | None = None
) -> int:
    """How many match; with `up_to`, counting stops there (a broad search need not count all)."""
    matching = _filtered(select(Document.id), session, account_id, filters)
    if up_to is not None:
        matching = matching.limit(up_to)
    return session.exec(select(func.count()).select_from(matching.subquery())).one()


def iter_documents(
    *, session: Session, account_id: str, filters: DocumentFilter, batch: int = 500
) -> Iterator[DocumentRead]:
    """Every matching document, in order, fetched page by page (for exports)."""
    cursor = None
    while True:
        rows, cursor = search_documents(
            session=session, account_id=account_id, filters=filters, cursor=cursor, limit=batch
        )
        yield from rows
        if cursor is None:
            return


def _first_rows(
    session: Session,
    account_id: str,
    filters: DocumentFilter,
    position: ColumnElement[bool] | None,
    descending: bool,
    count: int,
) -> list[tuple[Document, Any]]:
    """The first `count` matching (document, sort key) rows in the sort's order, past `position`."""
    if filters.query:
        walked = _walked(session, account_id, filters, position, descending, count)
        if walked is not None and len(walked) == count:
            return walked
    key = DOCUMENT_SORT_KEYS[filters.sort]
    query = _filtered(select(Document, key), session, account_id, filters)
    if position is not None:
        query = query.where(position)
    return list(session.exec(query.order_by(*_order(key, col(Document.id), descending)).limit(count)))


def _walked(
    session: Session,
    account_id: str,
    filters: DocumentFilter,
    position: ColumnElement[bool] | None,
    descending: bool,
    count: int,
) -> list[tuple[Document, Any]] | None:
    """A search's first rows found by walking the account's rows in the page's order (its sort's
    index) and testing each one's words, at most WALKED_PER_ROW × `count` rows; None when the
    index cannot test a row. A word most documents hold fills a page within a few dozen rows,
    where the full-text index hands over every match to be fetched and sorted (seconds at
    200,000 matches); fewer rows than `count` say only that the walk was too short."""
    key = DOCUMENT_SORT_KEYS[filters.sort]
    everything = replace(filters, query="")
    unsearched = _filtered(select(Document.id, key.label("sort_key")), session, account_id, everything)
    if position is not None:
        unsearched = unsearched.where(position)
    ordered = unsearched.order_by(*_order(key, col(Document.id), descending))
    recent = ordered.limit(count * WALKED_PER_ROW).subquery("recent")
    index = fulltext_for(session.get_bind().dialect.name)
    words = index.row_matches(filters.query, account_id, recent.c.id)  # tested before the join
    if words is None:
        return None
    # Ordered by the walk's own columns, so that the walk's order carries through and it stops
    # at `count` matches.
    query = (
        select(Document, recent.c.sort_key)
        .join(recent, col(Document.id) == recent.c.id)
        .where(words)
        .order_by(*_order(recent.c.sort_key, recent.c.id, descending))
        .limit(count)
    )
    return list(session.exec(query))


def _order(key: ColumnElement[Any], row_id: Any, descending: bool) -> tuple:
    return (key.desc(), row_id.desc()) if descending else (key, row_id)


def _filtered(query: _Query, session: Session, account_id: str, filters: DocumentFilter) -> _Query:
    query = query.where(Document.account_id == account_id)
    deleted = col(Document.deleted_at)
    query = query.where(deleted.is_not(None) if filters.in_trash else deleted.is_(None))
    if filters.since is not None:
        query = query.where(Document.received_at > filters.since)
    if filters.supplier_id:
        query = query.where(Document.supplier_id == filters.supplier_id)
    if filters.tag:
        query = query.where(
            exists().where(
                col(DocumentTag.document_id) == col(Document.id),
                col(DocumentTag.account_id) == account_id,
                col(DocumentTag.tag) == filters.tag,
            )
        )
    if filters.query:
        matching = fulltext_for(session.get_bind().dialect.name).matching(filters.query, account_id)
        if matching is not None:
            query = query.where(matching)
    if filters.sender:
        query = query.where(func.lower(Document.sender).contains(filters.sender.lower(), autoescape=True))
    if filters.kind == "pdf":
        query = query.where(Document.kind == DocumentKind.PDF.value)
    elif filters.kind == "image":
        query = query.where(Document.kind == DocumentKind.IMAGE.value)
    elif filters.kind == "einvoice":
        query = query.where(Document.invoice_source == InvoiceSource.XML.value)
    if filters.flag == "unreadable":
        query = query.where(col(Document.unreadable).is_(True))
    elif filters.flag == "check":  # kept in step with the fields by storage/to_check.py
        query = query.where(col(Document.to_check).is_(True))
    elif filters.flag == "duplicate":  # the same file arrived again later
        query = query.where(
            exists().where(
                col(PartLog.document_id) == col(Document.id),
                col(PartLog.decision) == Decision.DUPLICATE.value,
            )
        )
    if filters.received_from:
        query = query.where(Document.received_at >= _midnight(filters.received_from))
    if filters.received_to and filters.received_to < date.max:  # up to the last day: no bound
        query = query.where(Document.received_at < _midnight(filters.received_to + timedelta(days=1)))
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _encode_cursor(filters: DocumentFilter, key_value, row_id: str) -> str:
    if isinstance(key_value, datetime | date):
        key_value = key_value.isoformat()
    raw = json.dumps([filters.sort, filters.descending, key_value, row_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, filters: DocumentFilter) -> tuple[object, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort, descending, key_value, row_id = json.loads(raw)
        key_value = _SORT_KEY_READERS[filters.sort](key_value)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as err:
        raise BadCursor("invalid cursor") from err
    if (sort, descending) != (filters.sort, filters.descending) or not isinstance(row_id, str):
        raise BadCursor("the cursor belongs to another order")
    return key_value, row_id


def _number(value: object) -> float:
    """A total as the database compares it; a list, a string or a huge integer is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("the sort key is not a number")
    number = float(value)  # OverflowError beyond the float range
    if not math.isfinite(number):
        raise ValueError("the sort key is not finite")
    return number


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("the sort key is not text")
    return value


# Each sort's key back from JSON, checked for its type before it reaches a query.
_SORT_KEY_READERS = {
    "received": lambda value: aware(datetime.fromisoformat(_text(value))),
    "date": lambda value: date.fromisoformat(_text(value)),
    "total": _number,
    "supplier": _text,
}
