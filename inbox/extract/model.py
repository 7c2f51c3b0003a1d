"""What extraction finds in a mail: plain, frozen values with no I/O behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
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


@dataclass(frozen=True, slots=True)
class PdfFacts:
    pages: int | None
    encrypted: bool
    unreadable: bool
    reason: str = ""
    text: str = ""  # text layer, bounded; used for search and field heuristics


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
    """Invoice data read from e-invoice XML (source "xml") or a PDF's text (source "text")."""

    source: str
    type: str | None = None  # "invoice" or "credit_note"
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


@dataclass(frozen=True, slots=True)
class Part:
    """One leaf or container of the MIME tree, with its decision."""

    path: str  # position in the MIME tree, "1.2"; archive entries as "2/3"
    declared_type: str
    detected_type: str
    filename: str  # display name only: NFC, no path separators or control characters
    size: int
    decision: Decision
    reason: str
    kind: DocumentKind | None = None
    payload: bytes | None = None  # only for documents
    pdf: PdfFacts | None = None
    invoice: InvoiceFields | None = None
    from_archive: str | None = None  # filename of the archive the part was extracted from


@dataclass(frozen=True, slots=True)
class MailExtraction:
    sender: str
    subject: str
    message_id: str
    date: datetime | None
    text_body: str
    html_body: str
    parts: tuple[Part, ...]
    defects: tuple[str, ...] = ()

    @property
    def documents(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.decision is Decision.DOCUMENT)
