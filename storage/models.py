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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String, TypeDecorator
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
    refuse_dmarc_failures: bool = False  # mail failing its sender's DMARC gets 550 5.7.1
    # The plan (storage/usage.py); None: unlimited.
    documents_per_month: int | None = None
    storage_limit_bytes: int | None = None
    suppliers_limit: int | None = None


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
    """A secret for automation platforms (a "connection"); only its hash is stored."""

    token_hash: str = Field(primary_key=True)
    id: str = Field(default_factory=new_id, unique=True)  # what lists and revocation name
    account_id: str = Field(foreign_key="account.id", index=True)
    name: str
    scopes: str = ""  # space-separated, see storage/tokens.py SCOPES
    created_at: datetime = _when(nullable=False, default=utcnow)
    last_used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


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
    auth: str = ""  # JSON {"spf", "dkim", "dmarc"}; "" when not checked
    status: str = MessageStatus.RECEIVED
    reason: str = ""
    sender: str = ""
    subject: str = ""
    message_id: str = Field(default="", index=True)  # the Message-ID header
    text_body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    html_body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = "mail"  # "mail" or "upload" (storage/uploads.py)
    attempts: int = 0
    claimed_by: str | None = None  # the worker holding the claim: "host:pid:random"
    claimed_until: datetime | None = _when(nullable=True)
    processed_at: datetime | None = _when(nullable=True)
    # Set when INBOX_RAW_RETENTION_DAYS removed the raw mail: the row and its documents stay.
    raw_removed_at: datetime | None = _when(nullable=True)


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
    text_source: str | None = None  # where the text came from: pdf, ocr or xml
    supplier_id: str | None = Field(default=None, index=True)  # matched by sender or seller VAT id
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
    # Has a field read with little confidence that nobody corrected (storage/to_check.py).
    to_check: bool = False


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


class SupplierHint(SQLModel, table=True):
    """Where one supplier prints one field, learnt from a user's correction
    (inbox/extract/hints.py); followed first when its next invoice is read."""

    __table_args__ = (UniqueConstraint("account_id", "supplier", "field"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id")
    supplier: str  # the sender's address, lower case
    field: str  # number, issue_date or total
    label: str  # the label's words, folded
    place: str  # inline, right or below
    learnt_at: datetime = _when(nullable=False, default=utcnow)


class TeachRequest(SQLModel, table=True):
    """A corrected field waiting for the worker to learn where its supplier prints it
    (inbox/teach.py): written with the correction, claimed like a mail, deleted once tried."""

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id")
    document_id: str = Field(foreign_key="document.id")
    field: str  # number, issue_date or total
    value: str  # as stored on the document (ISO date, decimal text)
    created_at: datetime = _when(nullable=False, default=utcnow)
    claimed_by: str | None = None
    claimed_until: datetime | None = _when(nullable=True)


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


class byte_order(FunctionElement):  # noqa: N801  (reads as SQL, like func.lower)
    """Text compared by code point on every database, as SQLite's default BINARY collation does.

    PostgreSQL would otherwise use the database's collation (often linguistic: "e-shop" between
    "Eshop" and "e shop"), and the same list would sort differently per backend.
    """

    type = String()
    inherit_cache = True


@compiles(byte_order)
def _byte_order_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(byte_order, "postgresql")
def _byte_order_postgresql(element, compiler, **kw):
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


# Sort keys of the documents list. NULL-free, so a keyset cursor (key, id) compares totally;
# each has an index on (account_id, key, id), so every sort pages as fast as the default.
DOCUMENT_SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "received": sa_inspect(Document).columns["received_at"],  # the plain column, as indexed
    "date": func.coalesce(Document.issue_date, literal_column("'0001-01-01'")),
    "total": func.coalesce(cast(Document.total, Float), literal_column("-1e308")),
    "supplier": byte_order(func.lower(func.coalesce(Document.seller, Document.sender))),
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
    """A failed login, or one being checked: the row is written before the password is hashed,
    so concurrent guesses see each other (web/loginlimits.py). Shared by all processes."""

    __table_args__ = (Index("ix_loginfailure_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str  # "ip:<address>", "account:<sha256 of the e-mail>", … (web/loginlimits.py)
    at: datetime = _when(nullable=False, default=utcnow)


class KnownDevice(SQLModel, table=True):
    """A browser a user logged in from (a long-lived cookie): it is not held back by the
    limits that slow down guessers elsewhere. Only the cookie's hash is stored."""

    token_hash: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    created_at: datetime = _when(nullable=False, default=utcnow)


class PasswordReset(SQLModel, table=True):
    """A password-reset link sent by mail: single use, expiring; only the token's hash is stored."""

    token_hash: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    created_at: datetime = _when(nullable=False, default=utcnow)
    expires_at: datetime = _when(nullable=False)
    used_at: datetime | None = _when(nullable=True)


class DigestRun(SQLModel, table=True):
    """One account's daily digest for one (UTC) day: claimed by one process, so two serve
    processes never both send it; `sent_at` set once it went (or there was nothing to send)."""

    account_id: str = Field(foreign_key="account.id", primary_key=True)
    day: date = Field(primary_key=True)
    claimed_by: str
    claimed_until: datetime = _when(nullable=False)
    covered_until: datetime = _when(nullable=False)  # the end of the window it reports
    sent_at: datetime | None = _when(nullable=True)


class ApiRate(SQLModel, table=True):
    """A token's requests in one minute: the API rate limit, shared by every web process."""

    token_id: str = Field(primary_key=True)
    minute: int = Field(primary_key=True)  # Unix time // 60
    count: int = 0


class Thumbnail(SQLModel, table=True):
    """First-page image of a PDF, keyed by the PDF's sha256: a pure function of its bytes."""

    source_sha256: str = Field(primary_key=True)
    png_sha256: str | None = None  # None: rendering failed, see reason
    reason: str = ""


class Supplier(SQLModel, table=True):
    """A counterpart whose documents are recognised by sender address or seller VAT id."""

    __table_args__ = (Index("ix_supplier_account_vat", "account_id", "vat_id"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    name: str
    emails: str = ""  # newline-separated, lower-case
    vat_id: str | None = None  # normalised: upper-case, no spaces
    iban: str | None = None
    created_at: datetime = _when(nullable=False, default=utcnow)
    updated_at: datetime = _when(nullable=False, default=utcnow)


class Hook(SQLModel, table=True):
    """A REST-hook subscription: POST events of one type to a URL, signed with its secret."""

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    event: str
    target_url: str
    secret: str  # whsec_<base64>
    created_at: datetime = _when(nullable=False, default=utcnow)


class HookEvent(SQLModel, table=True):
    """The outbox: one row per event, written in the transaction that made it happen."""

    __table_args__ = (Index("ix_hookevent_account_type_at", "account_id", "type", "created_at"),)

    id: str = Field(default_factory=lambda: "msg_" + new_id(), primary_key=True)  # the webhook-id
    account_id: str = Field(foreign_key="account.id")
    type: str
    subject_id: str  # the document's or the message's id
    created_at: datetime = _when(nullable=False, default=utcnow)
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON, once rendered


class HookDelivery(SQLModel, table=True):
    """One event for one subscription, until delivered or given up; claimed like a mail."""

    __table_args__ = (Index("ix_hookdelivery_state_next", "state", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    account_id: str = Field(foreign_key="account.id")
    hook_id: str = Field(index=True)  # no foreign key: the log outlives a subscription the target ended
    event_id: str = Field(foreign_key="hookevent.id")
    state: str = "pending"  # pending, delivered, failed (gave up), cancelled (subscription gone)
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    claimed_by: str | None = None
    claimed_until: datetime | None = _when(nullable=True)
    created_at: datetime = _when(nullable=False, default=utcnow)


class HookAttempt(SQLModel, table=True):
    """Every try of a delivery: when, what the target answered (or the error), when the next is."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(foreign_key="hookdelivery.id", index=True)
    at: datetime = _when(nullable=False, default=utcnow)
    status_code: int | None = None
    error: str = ""
    duration_ms: int = 0
    next_retry_at: datetime | None = _when(nullable=True)
