"""The text kept for search comes from the same pdfium reading as the words (pypdf's only
where pdfium sees no text), and covers pages past the ones read for fields."""

from __future__ import annotations

from inbox.extract.ocr import OcrAllowance
from inbox.extract.pdf import read_pdf
from inbox.extract.pdf_words import MAX_PAGES
from inbox.extract.reading import read_pdf_text
from tests.builders import make_pdf

LINES = ["INVOICE", "Acme Supplies Ltd, 1 High Street", "Invoice No. INV-1001", "Total: 119.00 EUR"]


def _not_asked() -> str:
    raise AssertionError("pypdf's text was read although pdfium read the text layer")


def test_a_text_layer_is_read_once_for_fields_and_search_text() -> None:
    reading = read_pdf_text(make_pdf(LINES), _not_asked, OcrAllowance(seconds=0))

    assert reading.source == "pdf"
    assert "Invoice No. INV-1001" in reading.text
    assert reading.fields is not None and reading.fields.number == "INV-1001"


def test_search_text_covers_pages_past_those_read_for_fields() -> None:
    pages = MAX_PAGES + 5

    facts = read_pdf(make_pdf(pages=pages)).facts

    assert f"Page {pages} of {pages}" in facts.text
    assert "\r" not in facts.text
