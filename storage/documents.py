"""Documents of an account: fetching, always scoped by the account. Lists: document_search.py."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.errors import NotFound
from storage.models import Document
from storage.read_models import DocumentRead, document_read


def get_document(*, session: Session, account_id: str, document_id: str) -> DocumentRead:
    document = session.get(Document, document_id)
    if document is None or document.account_id != account_id:
        raise NotFound("document")
    return document_read(document)


def documents_of_message(*, session: Session, account_id: str, message_id: str) -> list[DocumentRead]:
    rows = session.exec(
        select(Document)
        .where(Document.account_id == account_id, Document.message_id == message_id)
        .order_by(Document.part_path)
    )
    return [document_read(row) for row in rows]
