"""The pypdf adapter: PDF bytes in, facts and invoice fields out. Never raises on bad input."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader

from inbox.extract.einvoice import EInvoiceError, invoice_from_pdf
from inbox.extract.fields import fields_from_layout, fields_from_text, merge_fields
from inbox.extract.layout import layout_from_words
from inbox.extract.model import InvoiceFields, PdfFacts
from inbox.extract.pdf_words import open_pdf, pdf_words

MAX_TEXT_CHARS = 200_000
MAX_TEXT_PAGES = 50

# pypdf reports recoverable damage through logging; it is recorded in the facts instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class PdfReading:
    facts: PdfFacts
    invoice: InvoiceFields | None = None
    note: str = ""  # why embedded e-invoice data could not be used, when it could not


def read_pdf(payload: bytes) -> PdfReading:
    try:
        reader = PdfReader(io.BytesIO(payload))
        encrypted = reader.is_encrypted
        if encrypted and not _try_empty_password(reader):
            reason = "encrypted with a password"
            return PdfReading(PdfFacts(pages=None, encrypted=True, unreadable=True, reason=reason))
        pages = len(reader.pages)
    except Exception as err:  # pypdf raises many types on hostile input; all mean "unreadable"
        reason = f"pypdf: {_describe(err)}"
        return PdfReading(PdfFacts(pages=None, encrypted=False, unreadable=True, reason=reason))
    facts = PdfFacts(pages=pages, encrypted=encrypted, unreadable=False, text=_text(reader))
    embedded, note = _embedded_invoice(reader)
    # Structured data wins; the text layer only fills what the XML lacks (or all, without XML).
    return PdfReading(facts, merge_fields(embedded, text_fields(payload, facts.text)), note)


def text_fields(payload: bytes, text: str) -> InvoiceFields | None:
    """Fields read by position from pdfium's word boxes; pypdf's text when pdfium cannot open it."""
    document = open_pdf(payload)
    if document is None:
        return fields_from_text(text)
    try:
        words = pdf_words(document)
    finally:
        document.close()
    return fields_from_layout(layout_from_words(words)) if words else fields_from_text(text)


def _embedded_invoice(reader: PdfReader) -> tuple[InvoiceFields | None, str]:
    try:
        return invoice_from_pdf(reader), ""
    except EInvoiceError as err:
        return None, str(err)
    except Exception as err:  # a damaged attachment tree: the PDF itself may still be fine
        return None, f"embedded files unreadable: {_describe(err)}"


def _try_empty_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def _text(reader: PdfReader) -> str:
    chunks: list[str] = []
    total = 0
    for page in reader.pages[:MAX_TEXT_PAGES]:
        try:
            chunk = page.extract_text() or ""
        except Exception:  # noqa: S112 -- one broken page does not hide the others
            continue
        chunks.append(chunk)
        total += len(chunk)
        if total >= MAX_TEXT_CHARS:
            break
    return "\n".join(chunks)[:MAX_TEXT_CHARS]


def _describe(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text[:200]
