"""What storage hands out to readers (pages, API, exports): small frozen values, never table rows.

Built from rows here, in one place, so a column added to a table changes nothing above storage
until a read model says so. Their fields are what the web renders and what the API schemas
are derived from (web/api/schemas.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session, col, select

from storage.invoices import from_columns
from storage.models import Account, Document, DocumentTag, Message, PartLog, RejectedMail, User, WebSession
from vocabulary import (
    EDITABLE_INVOICE_FIELDS,
    PART_RECORD_FIELDS,
    DocumentKind,
    DocumentStatus,
    InvoiceFields,
    MessageStatus,
    PartRecord,
    Role,
    TextSource,
)


@dataclass(frozen=True, slots=True)
class DocumentRead:
    """A stored file of an account, with the invoice read from it (null when none was)."""

    id: str
    filename: str
    sha256: str
    size: int
    kind: DocumentKind
    content_type: str
    pages: int | None
    encrypted: bool
    unreadable: bool
    reason: str  # what reading the file found (e.g. why it is unreadable)
    from_archive: str | None  # the archive the file was taken from
    text_source: TextSource | None  # where its searchable text came from
    sender: str
    subject: str
    received_at: datetime
    message_id: str  # the mail it came with (our id)
    status: DocumentStatus
    invoice: InvoiceFields | None
    supplier_id: str | None = None  # the supplier matched by sender address or seller VAT id
    note: str = ""  # what people wrote about it
    tags: tuple[str, ...] = ()
    # Invoice fields a person corrected, each {"source": "user"}: reprocessing keeps them.
    corrections: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageRead:
    """A received mail and what became of it."""

    id: str
    status: MessageStatus
    reason: str
    sender: str  # the From header
    envelope_from: str
    envelope_to: str  # the inbox address it was sent to
    subject: str
    message_id: str  # the Message-ID header
    received_at: datetime
    size: int
    has_body: bool  # a text or HTML body to show
    document_ids: tuple[str, ...]  # documents it produced or pointed to (duplicates)
    auth: AuthRead | None = None  # None: received before the checks existed
    source: str = "mail"  # "mail", or "upload" for a file sent to POST /api/v1/documents
    raw_removed_at: datetime | None = None  # when INBOX_RAW_RETENTION_DAYS removed the raw mail


@dataclass(frozen=True, slots=True)
class AuthRead:
    """Who sent a mail, as checked on arrival: RFC 8601 words (pass, fail, none, temperror...)."""

    spf: str
    dkim: str
    dmarc: str


@dataclass(frozen=True, slots=True)
class PartLogRead(PartRecord):
    """One line of a mail's processing log."""

    document_id: str | None = None  # the document it became, or the earlier copy it duplicates


def document_read(row: Document) -> DocumentRead:
    return DocumentRead(
        id=row.id,
        filename=row.filename,
        sha256=row.sha256,
        size=row.size,
        kind=DocumentKind(row.kind),
        content_type=row.content_type,
        pages=row.pages,
        encrypted=row.encrypted,
        unreadable=row.unreadable,
        reason=row.reason,
        from_archive=row.from_archive,
        text_source=TextSource(row.text_source) if row.text_source else None,
        sender=row.sender,
        subject=row.subject,
        received_at=row.received_at,
        message_id=row.message_id,
        status=document_status(row.encrypted, row.unreadable),
        invoice=from_columns(row),
        supplier_id=row.supplier_id,
        note=row.note,
        corrections={name: {"source": "user"} for name in corrected_names(row.corrected_fields)},
    )


def corrected_names(text: str | None) -> list[str]:
    """The corrected fields' names from their JSON column (unknown names are dropped)."""
    try:
        names = json.loads(text or "[]")
    except ValueError:
        return []
    return [n for n in names if n in EDITABLE_INVOICE_FIELDS] if isinstance(names, list) else []


def with_tags(session: Session, documents: list[DocumentRead]) -> list[DocumentRead]:
    """The documents with their tags, fetched in one query."""
    if not documents:
        return documents
    found: dict[str, list[str]] = {d.id: [] for d in documents}
    rows = session.exec(
        select(DocumentTag)
        .where(col(DocumentTag.document_id).in_(list(found)))
        .order_by(col(DocumentTag.tag))
    )
    for row in rows:
        found[row.document_id].append(row.tag)
    return [replace(d, tags=tuple(found[d.id])) for d in documents]


def document_status(encrypted: bool, unreadable: bool) -> DocumentStatus:
    if unreadable:
        return DocumentStatus.ENCRYPTED if encrypted else DocumentStatus.UNREADABLE
    return DocumentStatus.OK


def message_read(row: Message, document_ids: list[str]) -> MessageRead:
    return MessageRead(
        id=row.id,
        status=MessageStatus(row.status),
        reason=row.reason,
        sender=row.sender,
        envelope_from=row.envelope_from,
        envelope_to=row.envelope_to,
        subject=row.subject,
        message_id=row.message_id,
        received_at=row.received_at,
        size=row.raw_size,
        has_body=bool(row.html_body or row.text_body),
        document_ids=tuple(document_ids),
        auth=_auth_read(row.auth),
        source=row.source,
        raw_removed_at=row.raw_removed_at,
    )


def _auth_read(stored: str) -> AuthRead | None:
    if not stored:
        return None
    results = json.loads(stored)
    return AuthRead(**{name: str(results.get(name, "")) for name in ("spf", "dkim", "dmarc")})


def part_log_read(row: PartLog) -> PartLogRead:
    record = {name: getattr(row, name) for name in PART_RECORD_FIELDS}
    return PartLogRead(**record, document_id=row.document_id)


@dataclass(frozen=True, slots=True)
class AccountRead:
    id: str
    name: str
    inbox_local: str  # the random part of the inbox address: a credential, shown to its users only
    allowed_senders: str


@dataclass(frozen=True, slots=True)
class SessionRead:
    """A logged-in browser: whose it is and the token its forms must carry."""

    user_id: str
    account_id: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class UserRead:
    id: str
    email: str
    created_at: datetime
    role: Role = Role.OWNER
    time_zone: str = "UTC"
    language: str = ""  # empty: the browser's


@dataclass(frozen=True, slots=True)
class RejectionRead:
    """A mail refused at RCPT (sender not allowed)."""

    at: datetime
    envelope_from: str
    envelope_to: str
    reason: str


def account_read(row: Account) -> AccountRead:
    return AccountRead(
        id=row.id, name=row.name, inbox_local=row.inbox_local, allowed_senders=row.allowed_senders
    )


def session_read(row: WebSession) -> SessionRead:
    return SessionRead(user_id=row.user_id, account_id=row.account_id, csrf_token=row.csrf_token)


def user_read(row: User) -> UserRead:
    return UserRead(
        id=row.id,
        email=row.email,
        created_at=row.created_at,
        role=Role(row.role),
        time_zone=row.time_zone,
        language=row.language,
    )


def rejection_read(row: RejectedMail) -> RejectionRead:
    return RejectionRead(
        at=row.at, envelope_from=row.envelope_from, envelope_to=row.envelope_to, reason=row.reason
    )
