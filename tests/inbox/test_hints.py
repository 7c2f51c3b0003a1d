"""A correction teaches where a supplier prints a field; its next invoice is read from there."""

from datetime import date
from decimal import Decimal

from fpdf import FPDF

from inbox.extract import extract_mail
from inbox.extract.fields import fields_from_layout
from inbox.extract.hints import Hint, learn, read_hinted
from inbox.extract.layout import layout_from_words
from tests.builders import make_mail
from tests.inbox.test_layout_fields import page


def odd_supplier(reference: str, day: str, amount: str):
    """A layout whose words for the fields no generic rule knows."""
    return layout_from_words(
        page(
            ("Werkstatt Huber", 40, 0),
            ("Vorgang", 300, 0),
            (reference, 420, 0),
            ("Kundennummer", 300, 1),
            ("K-88", 420, 1),
            ("erstellt am", 300, 2),
            (day, 420, 2),
            ("Endsumme netto", 300, 8),
            ("100,00", 420, 8),
            ("Zu überweisen", 300, 9),
            ("bis 30.04.2026", 40, 9),
            (amount, 300, 10),
        )
    )


def test_a_field_the_generic_reader_misses_is_read_after_one_correction():
    first = odd_supplier("VG-1001", "03.03.2026", "119,00")
    second = odd_supplier("VG-1002", "04.04.2026", "238,00")
    assert fields_from_layout(second) is None  # no generic rule knows these words

    hints = tuple(
        hint
        for field, value in (
            ("number", "VG-1001"),
            ("issue_date", date(2026, 3, 3)),
            ("total", Decimal("119.00")),
        )
        if (hint := learn(first, field, value)) is not None
    )

    assert hints == (
        Hint("number", "vorgang", "right"),
        Hint("issue_date", "erstellt am", "right"),
        Hint("total", "zu überweisen", "below"),
    )
    fields = fields_from_layout(second, hints)
    assert (fields.number, fields.issue_date, fields.total) == (
        "VG-1002",
        date(2026, 4, 4),
        Decimal("238.00"),
    )
    assert fields.confidence["number"] == 0.95


def test_a_value_inside_its_labels_cell_is_learnt_inline():
    first = layout_from_words(page(("Beleg Ref. 7781-A", 40, 0)))
    hint = learn(first, "number", "7781-A")

    assert hint == Hint("number", "beleg ref", "inline")
    assert read_hinted(layout_from_words(page(("Beleg Ref. 9902-B", 40, 0))), (hint,)) == {"number": "9902-B"}


def test_a_value_not_printed_teaches_nothing_and_an_absent_label_reads_nothing():
    layout = odd_supplier("VG-1", "03.03.2026", "119,00")

    assert learn(layout, "number", "XYZ-404") is None
    assert learn(layout, "seller", "Huber") is None
    assert read_hinted(layout, (Hint("number", "auftrag", "right"),)) == {}


def pdf_invoice(reference: str, amount: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for x, y, text in (
        (15, 20, "Werkstatt Huber"),
        (110, 20, "Vorgang"),
        (150, 20, reference),
        (110, 60, "Zu überweisen"),
    ):
        pdf.text(x, y, text)
    pdf.text(110, 65, amount)
    return bytes(pdf.output())


def test_hints_given_to_the_extraction_of_a_mail_are_followed():
    hints = (Hint("number", "vorgang", "right"), Hint("total", "zu überweisen", "below"))
    mail = make_mail(attachments=[("VG-7.pdf", pdf_invoice("VG-7", "42,50 EUR"), "application/pdf")])

    (document,) = extract_mail(mail.as_bytes(), {"billing@supplier.example": hints}).documents
    (stranger,) = extract_mail(mail.as_bytes(), {"other@supplier.example": hints}).documents
    (untaught,) = extract_mail(mail.as_bytes()).documents

    assert (document.invoice.number, document.invoice.total) == ("VG-7", Decimal("42.50"))
    assert untaught.invoice is None or untaught.invoice.number is None
    assert stranger.invoice == untaught.invoice  # another supplier's hints are not followed
