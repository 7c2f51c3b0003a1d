"""Documents of an account: listing, fetching, always scoped by the account."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from storage.errors import NotFound
from storage.models import Document
from storage.pagination import decode_cursor, encode_cursor


def get_document(*, session: Session, account_id: str, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.account_id != account_id:
        raise NotFound("document")
    return document


def list_documents(
    *, session: Session, account_id: str, cursor: str | None = None, limit: int = 50
) -> tuple[list[Document], str | None]:
    """Newest first, by keyset on (received_at, id) so deep pages cost what the first does."""
    query = select(Document).where(Document.account_id == account_id)
    if cursor:
        when, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                col(Document.received_at) < when,
                and_(col(Document.received_at) == when, col(Document.id) < last_id),
            )
        )
    order = (col(Document.received_at).desc(), col(Document.id).desc())
    rows = list(session.exec(query.order_by(*order).limit(limit + 1)))
    next_cursor = (
        encode_cursor(rows[limit - 1].received_at, rows[limit - 1].id) if len(rows) > limit else None
    )
    return rows[:limit], next_cursor


def documents_of_message(*, session: Session, account_id: str, message_id: str) -> list[Document]:
    return list(
        session.exec(
            select(Document)
            .where(Document.account_id == account_id, Document.message_id == message_id)
            .order_by(Document.part_path)
        )
    )
