import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from inbox.extract.fields import fields_from_text, merge_fields
from inbox.extract.model import InvoiceFields
from tests.invoicegen import generate

FRENCH = """Boulangerie Martin SARL
FACTURE
Facture n° FA-2024-0042
Date de facture : 12 mars 2024
Date d'échéance : 11/04/2024
Pain 300 1\u202f000,00 €
Total HT 1\u202f000,00 €
TVA 20 % 200,00 €
Net à payer 1\u202f200,00 €"""


def test_french_invoice_with_narrow_no_break_spaces():
    fields = fields_from_text(FRENCH)

    assert fields.source == "text"
    assert fields.number == "FA-2024-0042"
    assert fields.issue_date == date(2024, 3, 12)
    assert (fields.total, fields.currency) == (Decimal("1200.00"), "EUR")
    assert fields.seller == "Boulangerie Martin SARL"
    assert 0 < fields.confidence["total"] <= 1


@pytest.mark.parametrize(
    ("text", "number", "issued", "total", "currency"),
    [
        (
            "Rechnung Nr. RE-77\nRechnungsdatum: 5. März 2024\nGesamtbetrag EUR 1.234,56",
            "RE-77",
            date(2024, 3, 5),
            "1234.56",
            "EUR",
        ),
        (
            "Rechnungsnummer:\n2024/00017\nDatum: 2024-01-31\nZwischensumme 10,00 €\n"
            "Rechnungsbetrag\n11,90 €",
            "2024/00017",
            date(2024, 1, 31),
            "11.90",
            "EUR",
        ),
        (
            "Invoice No. INV-9\nInvoice date: March 5, 2024\nDue date: April 4, 2024\n"
            "Subtotal €1,000.00\nAmount due €1,234.56",
            "INV-9",
            date(2024, 3, 5),
            "1234.56",
            "EUR",
        ),
        (
            "N° de facture : 123456\nDate : 01.02.2024\nTotal TTC 1\u00a0234,56\u00a0€",
            "123456",
            date(2024, 2, 1),
            "1234.56",
            "EUR",
        ),
        (
            "Invoice # 5521\nIssue date: 3 June 2024\nTotal $99.00\nVAT $16.50",
            "5521",
            date(2024, 6, 3),
            "99.00",
            "USD",
        ),
    ],
)
def test_labels_and_formats(text, number, issued, total, currency):
    fields = fields_from_text(text)

    assert (fields.number, fields.issue_date) == (number, issued)
    assert (fields.total, fields.currency) == (Decimal(total), currency)


def test_line_items_and_subtotals_are_not_the_total():
    text = (
        "Invoice No. 1\nWidget 5 000.00\nSubtotal 100.00 EUR\nVAT 20.00 EUR\n"
        "Balance brought forward 9,999.00 EUR"
    )
    assert fields_from_text(text).total is None


def test_text_without_invoice_facts_gives_none():
    assert fields_from_text("Dear customer,\nthank you for your order.") is None


def test_merge_keeps_xml_and_fills_its_gaps_from_text():
    xml = InvoiceFields(source="xml", number="X-1", total=Decimal("10"), confidence={"number": 1.0})
    text = InvoiceFields(
        source="text", number="T-9", issue_date=date(2024, 1, 2), confidence={"issue_date": 0.8}
    )

    merged = merge_fields(xml, text)

    assert (merged.source, merged.number, merged.total) == ("xml", "X-1", Decimal("10"))
    assert merged.issue_date == date(2024, 1, 2)
    assert merged.confidence == {"number": 1.0, "issue_date": 0.8}
    assert merge_fields(None, text) is text
    assert merge_fields(xml, None) is xml


GENERATED = 300
TARGET = 0.95


def test_generated_invoices_are_read_accurately():
    correct = {"number": 0, "issue_date": 0, "total": 0}
    for seed in range(GENERATED):
        invoice = generate(seed)
        reader = PdfReader(io.BytesIO(invoice.pdf))
        text = "\n".join(page.extract_text() for page in reader.pages)
        fields = fields_from_text(text) or InvoiceFields(source="text")
        correct["number"] += fields.number == invoice.number
        correct["issue_date"] += fields.issue_date == invoice.issue_date
        correct["total"] += fields.total == invoice.total and fields.currency == invoice.currency

    accuracy = {name: hits / GENERATED for name, hits in correct.items()}
    assert min(accuracy.values()) >= TARGET, accuracy


def test_generator_is_deterministic_and_varied():
    assert generate(7).pdf == generate(7).pdf
    invoices = [generate(seed) for seed in range(60)]
    assert {i.language for i in invoices} == {"fr", "de", "en"}
    assert {i.currency for i in invoices} >= {"EUR", "GBP", "USD"}
    assert any(len(PdfReader(io.BytesIO(i.pdf)).pages) > 1 for i in invoices)
