"""Recording what processing found in a mail, idempotently, in the caller's transaction.

Documents are keyed on (account, message, part path): reprocessing updates them in place
and keeps their ids, so links to them (and duplicates pointing at them) stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, delete, select

from storage.errors import NotFound
from storage.models import Document, Message, MessageStatus, PartLog, utcnow

DUPLICATE = "duplicate"
DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class NewDocument:
    sha256: str  # the blob is already stored
    content_type: str
    kind: str
    pages: int | None = None
    encrypted: bool = False
    unreadable: bool = False
    from_archive: str | None = None
    text: str = ""
    invoice: dict[str, str | date | None] = field(default_factory=dict)  # Document column -> value


@dataclass(frozen=True, slots=True)
class PartRecord:
    path: str
    declared_type: str
    detected_type: str
    filename: str
    size: int
    decision: str
    reason: str
    document: NewDocument | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    sender: str
    subject: str
    message_id: str
    text_body: str
    html_body: str
    parts: list[PartRecord]


def record_outcome(*, session: Session, message_id: str, outcome: Outcome) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
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
    documents = duplicates = 0
    for position, part in enumerate(outcome.parts):
        decision, reason, document_id = part.decision, part.reason, None
        if part.document is not None:
            sha256 = part.document.sha256
            first = stored_here.get(sha256) or _first_copy(session, message, sha256)
            if first is not None:
                decision, reason, document_id = DUPLICATE, f"same file as document {first}", first
                duplicates += 1
            else:
                document = _upsert_document(session, message, part, existing.get(part.path))
                kept.add(part.path)
                document_id = stored_here[sha256] = document.id
                documents += 1
        session.add(
            PartLog(
                message_id=message.id,
                position=position,
                path=part.path,
                declared_type=part.declared_type[:200],
                detected_type=part.detected_type[:200],
                filename=part.filename,
                size=part.size,
                decision=decision,
                reason=reason[:1000],
                document_id=document_id,
            )
        )
    for path, stale in existing.items():
        if path not in kept:
            session.delete(stale)
    message.status, message.reason = _status(documents, duplicates)
    message.claimed_by = message.claimed_until = None
    message.processed_at = utcnow()
    session.add(message)
    return message


def _status(documents: int, duplicates: int) -> tuple[str, str]:
    if documents:
        return MessageStatus.PROCESSED, f"{documents} document(s) stored"
    if duplicates:
        return (
            MessageStatus.PROCESSED,
            f"{duplicates} document(s) already stored before (duplicates)",
        )
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
    session: Session, message: Message, part: PartRecord, current: Document | None
) -> Document:
    new = part.document
    assert new is not None
    document = current or Document(
        account_id=message.account_id,
        message_id=message.id,
        part_path=part.path,
        sha256=new.sha256,
        filename=part.filename,
        size=part.size,
        content_type=new.content_type,
        kind=new.kind,
    )
    document.sha256, document.filename, document.size = new.sha256, part.filename, part.size
    document.content_type, document.kind = new.content_type, new.kind
    document.pages, document.encrypted, document.unreadable = (
        new.pages,
        new.encrypted,
        new.unreadable,
    )
    document.reason, document.from_archive, document.text = part.reason, new.from_archive, new.text
    document.sender, document.subject, document.received_at = (
        message.sender,
        message.subject,
        message.received_at,
    )
    for column in INVOICE_COLUMNS:
        setattr(document, column, new.invoice.get(column))
    session.add(document)
    session.flush()
    return document


INVOICE_COLUMNS = (
    "invoice_source",
    "invoice_type",
    "invoice_number",
    "issue_date",
    "due_date",
    "seller",
    "seller_vat_id",
    "buyer",
    "buyer_reference",
    "net_total",
    "tax_total",
    "total",
    "amount_due",
    "currency",
    "profile",
    "invoice_lines",
)
