"""A document's readable text and the fields in it: the PDF's text layer, else OCR.

The text layer is read by position (pdfium's word boxes); a PDF with next to no text and a
page that is mostly a picture is a scan, and its pages go through OCR. Either way the words
go through the same layout reader, and the text kept for search says where it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from inbox.extract.fields import fields_from_layout, fields_from_text
from inbox.extract.hints import Hint
from inbox.extract.layout import Layout, layout_from_words
from inbox.extract.model import InvoiceFields
from inbox.extract.ocr import MAX_PAGES as MAX_OCR_PAGES
from inbox.extract.ocr import OcrAllowance, OcrReading, read_image, read_pages
from inbox.extract.ocr_repair import repair
from inbox.extract.pdf_words import (
    MAX_TEXT_CHARS,
    has_page_images,
    open_pdf,
    pdf_words,
    render_pages,
    text_layer,
)
from inbox.extract.sniff import DOCUMENT_IMAGES, detect_type

MIN_TEXT_LAYER_WORDS = 10  # fewer: a scan, perhaps with a stamp or page number as text


@dataclass(frozen=True, slots=True)
class TextReading:
    fields: InvoiceFields | None
    text: str
    source: str  # "pdf", "ocr" or "" when there is no text
    note: str = ""  # why OCR gave no text, when it did not


def read_pdf_text(
    payload: bytes, pypdf_text: Callable[[], str], allowance: OcrAllowance, hints: tuple[Hint, ...] = ()
) -> TextReading:
    """Fields by position from the text layer; OCR of the pages when there is no text layer.
    The text kept is pdfium's, read with the words; pypdf's (`pypdf_text`, read only when
    asked) stands in where pdfium sees no text."""
    document = open_pdf(payload)
    if document is None:  # pypdf could read it, pdfium cannot: its text without positions
        return _from_text(pypdf_text())
    try:
        layer = text_layer(document)
        words = layer.words
        if len(words) >= MIN_TEXT_LAYER_WORDS:
            return TextReading(fields_from_layout(layout_from_words(words), hints), layer.text, "pdf")
        fallback = pypdf_text()
        few_words = max(len(words), len(fallback.split())) < MIN_TEXT_LAYER_WORDS
        if few_words and has_page_images(document, MAX_OCR_PAGES):
            pages = render_pages(document, MAX_OCR_PAGES)
            return _from_ocr(read_pages(pages, allowance), fallback, hints)
        if not words:
            return _from_text(fallback)
        return TextReading(fields_from_layout(layout_from_words(words), hints), fallback, "pdf")
    finally:
        document.close()


def layout_of(payload: bytes, allowance: OcrAllowance) -> Layout | None:
    """The words of a document where they are on its pages: a PDF's text layer (or OCR of a
    scan), an image's OCR; None for what has neither."""
    if detect_type(payload) in DOCUMENT_IMAGES:
        words = read_image(payload, allowance).words
        return layout_from_words(repair(words)) if words else None
    document = open_pdf(payload)
    if document is None:
        return None
    try:
        words = tuple(pdf_words(document))
        if len(words) < MIN_TEXT_LAYER_WORDS and has_page_images(document, MAX_OCR_PAGES):
            words = repair(read_pages(render_pages(document, MAX_OCR_PAGES), allowance).words)
    finally:
        document.close()
    return layout_from_words(words) if words else None


def read_image_text(payload: bytes, allowance: OcrAllowance, hints: tuple[Hint, ...] = ()) -> TextReading:
    return _from_ocr(read_image(payload, allowance), "", hints)


def read_pictures(pages: list[Image.Image], allowance: OcrAllowance) -> TextReading:
    """Fields from pictures of pages (a scan already rendered)."""
    return _from_ocr(read_pages(pages, allowance), "")


def _from_text(text: str) -> TextReading:
    return TextReading(fields_from_text(text), text, "pdf" if text.strip() else "")


def _from_ocr(reading: OcrReading, fallback_text: str, hints: tuple[Hint, ...] = ()) -> TextReading:
    if not reading.words:
        found = _from_text(fallback_text)
        return TextReading(found.fields, found.text, found.source, reading.note)
    layout = layout_from_words(repair(reading.words))
    return TextReading(fields_from_layout(layout, hints), layout.text()[:MAX_TEXT_CHARS], "ocr", reading.note)
