"""What extraction finds in a mail: plain, frozen values with no I/O behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The shared vocabulary, re-exported: extraction produces these values, storage and web map them.
from vocabulary import (
    Decision,
    DocumentKind,
    InvoiceFields,
    InvoiceLine,
    InvoiceSource,
    InvoiceType,
    PartRecord,
)

__all__ = [
    "Decision",
    "DocumentKind",
    "InvoiceFields",
    "InvoiceLine",
    "InvoiceSource",
    "InvoiceType",
    "MailExtraction",
    "Part",
    "PartRecord",
    "PdfFacts",
]


@dataclass(frozen=True, slots=True)
class PdfFacts:
    pages: int | None
    encrypted: bool
    unreadable: bool
    reason: str = ""
    text: str = ""  # text layer, bounded; used for search and field heuristics


@dataclass(frozen=True, slots=True)
class Part(PartRecord):
    """One leaf or container of the MIME tree, with its decision (the record) and its content."""

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
