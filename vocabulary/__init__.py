"""The words every layer shares, defined once: decisions, kinds, statuses, invoice fields, part records.

A package of its own, importing nothing but the standard library, so that extraction (`inbox`),
`storage` and `web` all speak it without importing each other: storage maps these values to
columns, web to API schemas, templates and CSV headers, each by iterating the definitions here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Decision(StrEnum):
    """What became of one MIME part (or archive entry). Every part gets one."""

    DOCUMENT = "document"
    BODY = "body"  # the text or HTML body of the mail
    CONTAINER = "container"  # multipart, forwarded message, archive: its children are listed
    IGNORED_INLINE = "ignored_inline"  # logos and images referenced by the HTML body
    DUPLICATE = "duplicate"  # decided when recording: same sha256 already a document
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"  # over a size limit, or its reading over the memory bound
    TOO_SLOW = "too_slow"  # its reading took longer than the time it was given
    CORRUPT = "corrupt"


class DocumentKind(StrEnum):
    PDF = "pdf"
    EINVOICE_XML = "einvoice_xml"
    IMAGE = "image"


class DocumentStatus(StrEnum):
    """Whether a document's content could be read."""

    OK = "ok"
    ENCRYPTED = "encrypted"
    UNREADABLE = "unreadable"


class MessageStatus(StrEnum):
    RECEIVED = "received"  # waiting for (or in) processing
    PROCESSED = "processed"
    NO_DOCUMENTS = "no_documents"
    FAILED = "failed"


class InvoiceSource(StrEnum):
    """Where the invoice fields were read: structured e-invoice XML, or a PDF's text."""

    XML = "xml"
    TEXT = "text"
    USER = "user"  # nothing was read; a person typed the fields in


class Role(StrEnum):
    """What a user of an account may do."""

    OWNER = "owner"  # everything, and manages the team
    MEMBER = "member"  # works on documents
    ACCOUNTANT = "accountant"  # reads and exports, changes nothing


# Invoice fields a person may correct (the edit form's inputs and PATCH's "invoice" keys).
EDITABLE_INVOICE_FIELDS = ("number", "issue_date", "due_date", "total", "currency", "seller", "type")
# Of those, the ones read by position: a correction of one teaches where its supplier prints it.
TAUGHT_INVOICE_FIELDS = ("number", "issue_date", "total")


class TextSource(StrEnum):
    """Where a document's searchable text came from."""

    PDF = "pdf"  # its text layer
    OCR = "ocr"  # a scan or photo, read by Tesseract
    XML = "xml"  # an e-invoice


class InvoiceType(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One line item of an e-invoice, enough to render the invoice readably."""

    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None  # UN/ECE Rec 20 code as written ("C62", "HUR")
    unit_price: Decimal | None = None  # net price per unit
    net_amount: Decimal | None = None  # line total without VAT


@dataclass(frozen=True, slots=True)
class InvoiceFields:
    """Invoice data read from e-invoice XML (source "xml") or a PDF's text (source "text").

    `confidence` maps a field's name to how sure the reader is of it (0..1): 1.0 for every
    field an e-invoice's XML gave, lower for what the text heuristics found.
    """

    source: InvoiceSource
    type: InvoiceType | None = None
    number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    seller: str | None = None
    seller_vat_id: str | None = None
    buyer: str | None = None
    buyer_reference: str | None = None
    net_total: Decimal | None = None
    tax_total: Decimal | None = None
    total: Decimal | None = None
    amount_due: Decimal | None = None
    currency: str | None = None
    profile: str | None = None
    confidence: dict[str, float] = field(default_factory=dict)
    lines: tuple[InvoiceLine, ...] = ()

    def __post_init__(self) -> None:
        # Readers may pass the plain strings; the value always holds the enum.
        object.__setattr__(self, "source", InvoiceSource(self.source))
        if self.type is not None:
            object.__setattr__(self, "type", InvoiceType(self.type))


@dataclass(frozen=True, slots=True)
class PartRecord:
    """What the processing log says about one MIME part (or archive entry)."""

    path: str  # position in the MIME tree, "1.2"; archive entries as "2/3"
    declared_type: str
    detected_type: str
    filename: str  # display name only: NFC, no path separators or control characters
    size: int
    decision: Decision
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "decision", Decision(self.decision))  # a stored string, too


def field_names(cls: type) -> tuple[str, ...]:
    """The fields of one of the dataclasses above, in their order."""
    return tuple(f.name for f in dataclasses.fields(cls))


INVOICE_FIELDS = field_names(InvoiceFields)
PART_RECORD_FIELDS = field_names(PartRecord)


# In a flat table (storage columns, CSV headers) next to a document's own fields, these invoice
# fields' bare names would be ambiguous, so they are prefixed.
_PREFIXED_WHEN_FLAT = frozenset({"source", "type", "number", "lines", "confidence"})


def flat_name(invoice_field: str) -> str:
    """An invoice field's name in flat tables: `number` is `invoice_number`, `seller` stays."""
    return f"invoice_{invoice_field}" if invoice_field in _PREFIXED_WHEN_FLAT else invoice_field
