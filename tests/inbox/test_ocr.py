"""Scans and phone photos read by Tesseract: fixtures are generated invoices rendered to
pictures (a slight turn, blur, dust; a photo's uneven light), never files from elsewhere."""

from __future__ import annotations

import io

from PIL import Image

from inbox import scans
from inbox.extract import extract_mail
from inbox.extract.archive import Budget
from inbox.extract.classify import Origin, classify
from inbox.extract.model import Decision, DocumentKind
from inbox.extract.ocr import OcrAllowance, read_image, skew_angle
from inbox.extract.pdf import read_pdf
from tests.builders import make_mail, make_pdf
from tests.layoutgen import generate_layout
from tests.needs import needs_tesseract

pytestmark = needs_tesseract


def scanned(seed: int):
    invoice = generate_layout(seed)
    return invoice, scans.scanned_pages(invoice.pdf, seed, pages=1)


def test_a_scanned_pdf_is_read_by_ocr_and_its_fields_found():
    invoice, pages = scanned(3)

    reading = read_pdf(scans.as_pdf(pages))

    assert reading.facts.text_source == "ocr"
    assert invoice.number in reading.facts.text  # searchable
    fields = reading.invoice
    assert (fields.number, fields.issue_date) == (invoice.number, invoice.issue_date)
    assert fields.total == invoice.total


def test_a_phone_photo_attached_to_a_mail_is_a_read_document():
    invoice, (page,) = scanned(6)
    photo = scans.as_photo(page, seed=6)
    mail = make_mail(attachments=[("IMG_2041.jpg", photo, "image/jpeg")])

    (document,) = extract_mail(mail.as_bytes()).documents

    assert document.kind is DocumentKind.IMAGE
    assert document.pdf.text_source == "ocr"
    assert "text read by OCR" in document.reason
    assert (document.invoice.number, document.invoice.total) == (invoice.number, invoice.total)


def test_a_photo_lying_on_its_side_is_turned_before_reading():
    invoice, (page,) = scanned(5)
    buffer = io.BytesIO()
    page.rotate(90, expand=True).save(buffer, format="PNG")

    (part,) = classify(Origin("2", "image/png", "scan.png"), buffer.getvalue(), Budget())

    assert part.invoice is not None and part.invoice.number == invoice.number


def test_skew_is_measured():
    _, (page,) = scanned(1)  # already turned by the scanner simulation; straighten it first
    level = page.rotate(skew_angle(page), expand=True, fillcolor=255)

    assert abs(skew_angle(level.rotate(2.0, expand=True, fillcolor=255)) - (-2.0)) <= 0.5


def test_a_pdf_with_a_short_text_layer_and_no_picture_is_not_ocrd():
    reading = read_pdf(make_pdf(["Invoice 7"]))

    assert reading.facts.text_source == "pdf"


def test_ocr_stops_when_the_mails_allowance_is_spent():
    _, (page,) = scanned(2)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")

    reading = read_image(buffer.getvalue(), OcrAllowance(seconds=0))

    assert reading.words == ()
    assert "OCR time is used up" in reading.note


def test_without_tesseract_the_image_is_kept_and_says_why(monkeypatch, tmp_path):
    _, (page,) = scanned(2)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    monkeypatch.setenv("PATH", str(tmp_path))

    (part,) = classify(Origin("2", "image/png", "scan.png"), buffer.getvalue(), Budget())

    assert part.decision is Decision.DOCUMENT
    assert part.invoice is None
    assert "OCR unavailable: tesseract is not installed" in part.reason


def test_an_image_bomb_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, format="PNG")  # 81 megapixels, a few KB

    reading = read_image(buffer.getvalue(), OcrAllowance())

    assert reading.words == () and "too large to read" in reading.note


def test_a_damaged_image_is_a_note_not_an_error():
    reading = read_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, OcrAllowance())

    assert reading.words == () and reading.note.startswith("image unreadable")
