"""The pypdf adapter: PDF bytes in, facts and invoice fields out. Never raises on bad input."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader

from inbox.extract.einvoice import EInvoiceError, invoice_from_pdf
from inbox.extract.fields import merge_fields
from inbox.extract.hints import Hint
from inbox.extract.model import InvoiceFields, PdfFacts
from inbox.extract.ocr import OcrAllowance
from inbox.extract.pdf_words import MAX_TEXT_CHARS, MAX_TEXT_PAGES
from inbox.extract.reading import read_pdf_text

# pypdf reports recoverable damage through logging; it is recorded in the facts instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class PdfReading:
    facts: PdfFacts
    invoice: InvoiceFields | None = None
    note: str = ""  # why embedded e-invoice data could not be used, when it could not
    text_note: str = ""  # why OCR gave no text, when it did not


def read_pdf(payload: bytes, ocr: OcrAllowance | None = None, hints: tuple[Hint, ...] = ()) -> PdfReading:
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
    allowance = ocr if ocr is not None else OcrAllowance()
    text = read_pdf_text(payload, lambda: _text(reader), allowance, hints)
    facts = PdfFacts(
        pages=pages, encrypted=encrypted, unreadable=False, text=text.text, text_source=text.source
    )
    embedded, note = _embedded_invoice(reader)
    # Structured data wins; the text layer only fills what the XML lacks (or all, without XML).
    return PdfReading(facts, merge_fields(embedded, text.fields), note, text.note)


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
