"""Tables. Ids are random (80 bits) so they reveal neither counts nor other accounts' rows."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Index,
    Text,
    UniqueConstraint,
    cast,
    func,
    literal_column,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from vocabulary import MessageStatus


def new_id() -> str:
    return secrets.token_hex(10)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, also on SQLite, which keeps no time zone."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def _when(**kwargs: Any) -> Any:  # what sqlmodel's Field returns
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class Account(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    inbox_local: str = Field(unique=True, index=True)  # the random part of the inbox address
    active: bool = True
    allowed_senders: str = ""  # newline-separated addresses or @domains; empty: anyone
    created_at: datetime = _when(nullable=False, default=utcnow)


class User(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    email: str = Field(unique=True, index=True)  # stored lower-case
    password_hash: str
    created_at: datetime = _when(nullable=False, default=utcnow)
    role: str = "owner"  # vocabulary.Role: owner, member, accountant (read-only)
    time_zone: str = "UTC"  # an IANA name; the pages show times in it
    language: str = ""  # en, fr or de; empty: the browser's


class WebSession(SQLModel, table=True):
    token_hash: str = Field(primary_key=True)  # sha256 of the cookie value
    user_id: str = Field(foreign_key="user.id", index=True)
    account_id: str = Field(foreign_key="account.id")
    csrf_token: str
    expires_at: datetime = _when(nullable=False)


class ApiToken(SQLModel, table=True):
    """A secret for automation platforms; only its hash is stored."""

    token_hash: str = Field(primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    name: str
    created_at: datetime = _when(nullable=False, default=utcnow)


class Message(SQLModel, table=True):
    """One received mail for one account. The raw bytes live in the blob store."""

    __table_args__ = (
        Index("ix_message_account_received", "account_id", "received_at", "id"),
        Index("ix_message_status_received", "status", "received_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id")
    raw_sha256: str
    raw_size: int
    envelope_from: str = ""
    envelope_to: str = ""
    received_at: datetime = _when(nullable=False, default=utcnow)
    status: str = MessageStatus.RECEIVED
    reason: str = ""
    sender: str = ""
    subject: str = ""
    message_id: str = Field(default="", index=True)  # the Message-ID header
    text_body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    html_body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    attempts: int = 0
    claimed_by: str | None = None  # the worker holding the claim: "host:pid:random"
    claimed_until: datetime | None = _when(nullable=True)
    processed_at: datetime | None = _when(nullable=True)


class Document(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("account_id", "message_id", "part_path"),
        Index("ix_document_account_received", "account_id", "received_at", "id"),
        Index("ix_document_account_sha", "account_id", "sha256"),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id")
    message_id: str = Field(foreign_key="message.id", index=True)
    part_path: str
    sha256: str
    filename: str
    content_type: str
    kind: str
    size: int
    pages: int | None = None
    encrypted: bool = False
    unreadable: bool = False
    reason: str = ""
    from_archive: str | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Copied from the message so the list needs no join and sorts on its own index.
    sender: str = ""
    subject: str = ""
    received_at: datetime = _when(nullable=False, default=utcnow)
    # Invoice fields, one column per field of vocabulary.InvoiceFields (storage/invoices.py maps
    # them by iterating the fields; a test fails when a field has no column). Decimals are exact
    # strings; lines and confidence are JSON.
    invoice_source: str | None = None
    invoice_type: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    seller: str | None = None
    seller_vat_id: str | None = None
    buyer: str | None = None
    buyer_reference: str | None = None
    net_total: str | None = None
    tax_total: str | None = None
    total: str | None = None
    amount_due: str | None = None
    currency: str | None = None
    profile: str | None = None
    invoice_lines: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON list
    invoice_confidence: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    # What people added: corrected invoice fields (JSON list of names, kept over reprocessing),
    # a note, and when it went to the trash (emptied after storage.trash.KEEP_DAYS).
    corrected_fields: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    deleted_at: datetime | None = _when(nullable=True)  # in the trash since then


class DocumentTag(SQLModel, table=True):
    """A label on a document; the list filters by it (`?tag=`)."""

    __table_args__ = (Index("ix_documenttag_account_tag", "account_id", "tag"),)

    document_id: str = Field(foreign_key="document.id", primary_key=True)
    tag: str = Field(primary_key=True)
    account_id: str = Field(foreign_key="account.id")


class DocumentChange(SQLModel, table=True):
    """One change a person made to a document: who, when, which field, from what to what."""

    __table_args__ = (Index("ix_documentchange_document_at", "document_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="document.id")
    user_email: str
    at: datetime = _when(nullable=False, default=utcnow)
    field: str  # an invoice field name, "tags", "note", "deleted" or "restored"
    old: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    new: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class PartLog(SQLModel, table=True):
    """One row per MIME part of a mail: a vocabulary.PartRecord, plus where it belongs."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(foreign_key="message.id", index=True)
    position: int
    path: str
    declared_type: str
    detected_type: str
    filename: str
    size: int
    decision: str
    reason: str
    document_id: str | None = Field(default=None, index=True)  # the "duplicate" filter looks here


# Sort keys of the documents list. NULL-free, so a keyset cursor (key, id) compares totally;
# each has an index on (account_id, key, id), so every sort pages as fast as the default.
DOCUMENT_SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "received": sa_inspect(Document).columns["received_at"],  # the plain column, as indexed
    "date": func.coalesce(Document.issue_date, literal_column("'0001-01-01'")),
    "total": func.coalesce(cast(Document.total, Float), literal_column("-1e308")),
    "supplier": func.lower(func.coalesce(Document.seller, Document.sender)),
}
for _name, _key in DOCUMENT_SORT_KEYS.items():
    if _name != "received":  # covered by ix_document_account_received
        Index(f"ix_document_account_sort_{_name}", Document.account_id, _key, Document.id)


class RejectedMail(SQLModel, table=True):
    """A mail refused at RCPT because its sender is not on the account's allowed list."""

    __table_args__ = (Index("ix_rejectedmail_account_at", "account_id", "at"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id")
    at: datetime = _when(nullable=False, default=utcnow)
    envelope_from: str
    envelope_to: str
    reason: str


class LoginFailure(SQLModel, table=True):
    """A failed login, counted per IP and per e-mail for rate limiting (shared by all processes)."""

    __table_args__ = (Index("ix_loginfailure_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str  # "ip:<address>" or "email:<sha256 of the lower-case address>"
    at: datetime = _when(nullable=False, default=utcnow)


class Thumbnail(SQLModel, table=True):
    """First-page image of a PDF, keyed by the PDF's sha256: a pure function of its bytes."""

    source_sha256: str = Field(primary_key=True)
    png_sha256: str | None = None  # None: rendering failed, see reason
    reason: str = ""
