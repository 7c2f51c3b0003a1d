"""Documents of an account: fetching, always scoped by the account. Lists: document_search.py."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.errors import NotFound
from storage.models import Document
from storage.read_models import DocumentRead, document_read, with_tags


def get_document(
    *, session: Session, account_id: str, document_id: str, include_deleted: bool = False
) -> DocumentRead:
    return with_tags(session, [document_read(_own(session, account_id, document_id, include_deleted))])[0]


def _own(session: Session, account_id: str, document_id: str, include_deleted: bool) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.account_id != account_id:
        raise NotFound("document")
    if document.deleted_at is not None and not include_deleted:
        raise NotFound("document")
    return document


def documents_of_message(*, session: Session, account_id: str, message_id: str) -> list[DocumentRead]:
    rows = session.exec(
        select(Document)
        .where(Document.account_id == account_id, Document.message_id == message_id)
        .where(col(Document.deleted_at).is_(None))
        .order_by(Document.part_path)
    )
    return [document_read(row) for row in rows]


def same_number_documents(*, session: Session, account_id: str, doc: DocumentRead) -> list[DocumentRead]:
    """Other live documents of the account with this one's supplier and invoice number: a
    duplicate invoice, or two invoices mixed up; the page warns."""
    invoice = doc.invoice
    if invoice is None or not invoice.number:
        return []
    query = select(Document).where(
        Document.account_id == account_id,
        Document.invoice_number == invoice.number,
        Document.id != doc.id,
        col(Document.deleted_at).is_(None),
    )
    if invoice.seller:
        query = query.where(Document.seller == invoice.seller)
    return [document_read(row) for row in session.exec(query.limit(10))]
