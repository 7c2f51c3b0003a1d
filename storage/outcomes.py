"""Recording what processing found in a mail, idempotently, in the caller's transaction.

Documents are keyed on (account, message, part path): reprocessing updates them in place
and keeps their ids, so links to them (and duplicates pointing at them) stay valid.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from storage.hooks import emit
from storage.invoices import to_columns
from storage.messages import held_message
from storage.models import Document, Message, PartLog, utcnow
from storage.read_models import corrected_names
from storage.suppliers import match_supplier
from storage.teaching import forget_requests
from storage.to_check import update_to_check
from vocabulary import (
    Decision,
    DocumentKind,
    InvoiceFields,
    MessageStatus,
    PartRecord,
    TextSource,
    flat_name,
)


@dataclass(frozen=True, slots=True)
class NewDocument:
    sha256: str  # the blob is already stored
    content_type: str
    kind: DocumentKind
    pages: int | None = None
    encrypted: bool = False
    unreadable: bool = False
    from_archive: str | None = None
    text: str = ""
    text_source: TextSource | None = None
    invoice: InvoiceFields | None = None


@dataclass(frozen=True, slots=True)
class PartOutcome:
    record: PartRecord
    document: NewDocument | None = None  # the part's content, when it is a document


@dataclass(frozen=True, slots=True)
class Outcome:
    sender: str
    subject: str
    message_id: str
    text_body: str
    html_body: str
    parts: list[PartOutcome]
    unread: tuple[str, ...] = ()  # parts cut short by processing's time or memory bound


def record_outcome(*, session: Session, message_id: str, worker: str, outcome: Outcome) -> Message:
    """Record what `worker` found, if the mail is still its claim (else ClaimLost: another
    worker took it over and its result stands)."""
    message = held_message(session, message_id, worker)
    message.sender, message.subject, message.message_id = (
        outcome.sender,
        outcome.subject,
        outcome.message_id,
    )
    message.text_body, message.html_body = outcome.text_body, outcome.html_body

    existing = {d.part_path: d for d in _documents_of(session, message)}
    session.exec(delete(PartLog).where(col(PartLog.message_id) == message.id))
    kept: set[str] = set()
    stored_here: dict[str, str] = {}  # sha256 -> document id, for the same file twice in one mail
    log_rows: list[dict[str, Any]] = []
    documents = duplicates = 0
    for position, part in enumerate(outcome.parts):
        record, document_id = part.record, None
        if part.document is not None:
            sha256 = part.document.sha256
            first = stored_here.get(sha256) or _first_copy(session, message, sha256)
            if first is not None:
                reason = f"same file as document {first}"
                record = dataclasses.replace(record, decision=Decision.DUPLICATE, reason=reason)
                document_id = first
                duplicates += 1
            else:
                current = existing.get(record.path)
                document = _upsert_document(session, message, part, current)
                if current is None:  # new: reprocessing tells nobody twice
                    emit(
                        session=session,
                        account_id=message.account_id,
                        type="document.created",
                        subject_id=document.id,
                    )
                kept.add(record.path)
                document_id = stored_here[sha256] = document.id
                documents += 1
        log_rows.append({"message_id": message.id, "position": position, "document_id": document_id})
        log_rows[-1].update(_bounded(record))
    if log_rows:  # one INSERT: nothing reads the rows back as objects in this transaction
        session.execute(insert(PartLog.__table__), log_rows)  # type: ignore[attr-defined]
    for path, stale in existing.items():
        if path not in kept:
            forget_requests(session, stale.id)
            session.delete(stale)
    was_failed = message.status == MessageStatus.FAILED
    message.status, message.reason = _status(documents, duplicates, outcome.unread)
    if message.status == MessageStatus.FAILED and not was_failed:  # a reprocess tells nobody twice
        emit(session=session, account_id=message.account_id, type="message.failed", subject_id=message.id)
    message.claimed_by = message.claimed_until = None
    message.processed_at = utcnow()
    session.add(message)
    return message


def _bounded(record: PartRecord) -> dict[str, Any]:
    """The record's fields as PartLog columns, long texts cut to what the log keeps."""
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    for name, limit in _LIMITS.items():
        values[name] = values[name][:limit]
    values["decision"] = Decision(record.decision).value  # the column holds the plain value
    return values


_LIMITS = {"declared_type": 200, "detected_type": 200, "reason": 1000}


def _status(documents: int, duplicates: int, unread: tuple[str, ...]) -> tuple[str, str]:
    """Parts that could be read are kept even when others could not: such a mail is
    processed, with a warning naming the parts it lost. Only when nothing was kept and a
    part was cut short has the mail failed (a reprocess with more time may read it)."""
    lost = f"{len(unread)} part(s) could not be read: {', '.join(unread)}" if unread else ""
    if documents or duplicates:
        kept = (
            f"{documents} document(s) stored"
            if documents
            else (f"{duplicates} document(s) already stored before (duplicates)")
        )
        return MessageStatus.PROCESSED, f"{kept}; warning: {lost}" if lost else kept
    if lost:
        return MessageStatus.FAILED, lost
    return MessageStatus.NO_DOCUMENTS, "no invoice document found in this mail"


def _documents_of(session: Session, message: Message) -> list[Document]:
    return list(session.exec(select(Document).where(Document.message_id == message.id)))


def _first_copy(session: Session, message: Message, sha256: str) -> str | None:
    """The id of the account's earliest document with these bytes, other than this mail's own."""
    return session.exec(
        select(Document.id)
        .where(Document.account_id == message.account_id, Document.sha256 == sha256)
        .where(Document.message_id != message.id)
        .order_by(col(Document.received_at), col(Document.id))
        .limit(1)
    ).first()


def _upsert_document(
    session: Session, message: Message, part: PartOutcome, current: Document | None
) -> Document:
    new, record = part.document, part.record
    assert new is not None
    document = current or Document(
        account_id=message.account_id,
        message_id=message.id,
        part_path=record.path,
        sha256=new.sha256,
        filename=record.filename,
        size=record.size,
        content_type=new.content_type,
        kind=DocumentKind(new.kind).value,
    )
    document.sha256, document.filename, document.size = new.sha256, record.filename, record.size
    document.content_type, document.kind = new.content_type, DocumentKind(new.kind).value
    document.pages, document.encrypted, document.unreadable = (
        new.pages,
        new.encrypted,
        new.unreadable,
    )
    document.reason, document.from_archive, document.text = record.reason, new.from_archive, new.text
    document.text_source = new.text_source.value if new.text_source else None
    document.sender, document.subject, document.received_at = (
        message.sender,
        message.subject,
        message.received_at,
    )
    # Fields a person corrected stay as they were corrected; the rest follow the new reading.
    kept = {flat_name(name) for name in corrected_names(document.corrected_fields)}
    for column, value in to_columns(new.invoice).items():
        if column not in kept and not (column == "invoice_source" and kept and value is None):
            setattr(document, column, value)
    update_to_check(document)
    document.supplier_id = match_supplier(
        session=session,
        account_id=message.account_id,
        sender=document.sender,
        seller_vat_id=document.seller_vat_id,
    )
    session.add(document)
    session.flush()
    return document
