"""Labels paired with values by position: right of the label, below it, rows of labels over
rows of values, wrapped values; and the wrong-value classes kept out."""

from datetime import date
from decimal import Decimal

import pytest

from inbox.extract.fields import fields_from_layout, fields_from_text
from inbox.extract.layout import Word, layout_from_words
from inbox.extract.ocr_repair import repair

CHAR = 5.0  # points per character of the synthetic words
HEIGHT = 10.0


def page(*placed: tuple[str, float, float]) -> list[Word]:
    """Words from (text, x, line number) triples; each space-separated word gets its box."""
    words = []
    for text, x, line in placed:
        left = x
        for token in text.split(" "):
            top = 20 + line * 14
            words.append(Word(token, 0, left, top, left + CHAR * len(token), top + HEIGHT))
            left += CHAR * (len(token) + 1)
    return words


def read(*placed):
    return fields_from_layout(layout_from_words(page(*placed)))


def test_value_to_the_right_in_its_own_column():
    fields = read(
        ("Rechnungsnummer", 300, 0),
        ("R-2024-17", 480, 0),
        ("Kundennummer", 300, 1),
        ("K-99812", 480, 1),
        ("Rechnungsdatum", 300, 2),
        ("05.03.2024", 480, 2),
        ("Rechnungsbetrag", 300, 8),
        ("1.190,00 €", 480, 8),
    )

    assert (fields.number, fields.issue_date) == ("R-2024-17", date(2024, 3, 5))
    assert fields.total == Decimal("1190.00")


def test_row_of_labels_over_a_row_of_values():
    fields = read(
        ("Customer No.", 40, 0),
        ("Order No.", 160, 0),
        ("Invoice No.", 280, 0),
        ("Invoice date", 400, 0),
        ("C-5521", 40, 1),
        ("PO-7781", 160, 1),
        ("INV-0042", 280, 1),
        ("January 15, 2026", 400, 1),
    )

    assert (fields.number, fields.issue_date) == ("INV-0042", date(2026, 1, 15))


def test_value_below_its_label_in_the_same_column_not_the_neighbours():
    fields = read(
        ("Facture n°", 40, 0),
        ("Date", 300, 0),
        ("FA-2026-0007", 40, 1),
        ("15 janvier 2026", 300, 1),
        ("Net à payer", 300, 6),
        ("1 200,00 €", 300, 7),
    )

    assert (fields.number, fields.issue_date) == ("FA-2026-0007", date(2026, 1, 15))
    assert fields.total == Decimal("1200.00")


def test_a_number_wrapped_after_a_slash_is_joined():
    fields = read(("Invoice number", 40, 0), ("RE-2024/", 200, 0), ("00017", 200, 1))

    assert fields.number == "RE-2024/00017"


def test_a_date_wrapped_after_vom_is_read():
    fields = read(("Rechnung Nr. 471102 vom", 40, 0), ("05.03.2018", 40, 1))

    assert (fields.number, fields.issue_date) == ("471102", date(2018, 3, 5))


def test_job_and_customer_numbers_are_not_the_invoice_number():
    fields = read(
        ("Job number: J-5531", 40, 0),
        ("Customer number: 88120", 40, 1),
        ("Order no. 4471", 40, 2),
        ("Invoice # 2026-118", 300, 0),
    )

    assert fields.number == "2026-118"


def test_an_associated_invoice_number_is_not_this_one():
    fields = read(("N° de facture associée : F2025-0003", 40, 0), ("Avoir AV-2026-0001", 40, 2))

    assert fields.number == "AV-2026-0001"


def test_net_and_vat_are_not_the_total_and_the_sum_decides():
    fields = read(
        ("Total HT", 300, 0),
        ("100,00 €", 450, 0),
        ("TVA 20 %", 300, 1),
        ("20,00 €", 450, 1),
        ("Total TTC", 300, 2),
        ("120,00 €", 450, 2),
    )

    assert (fields.net_total, fields.tax_total) == (Decimal("100.00"), Decimal("20.00"))
    assert fields.total == Decimal("120.00")
    assert fields.confidence["total"] >= 0.9


def test_a_total_label_over_the_net_amount_gives_no_total():
    fields = read(
        ("Invoice No. 5", 40, 0),
        ("Net amount", 300, 1),
        ("100.00", 450, 1),
        ("VAT", 300, 2),
        ("20.00", 450, 2),
        ("Total", 300, 3),
        ("100.00", 450, 3),
    )

    assert fields.total is None


def test_amount_due_after_a_deposit_is_not_the_total():
    fields = read(
        ("Invoice No. 5", 40, 0),
        ("Deposit paid", 300, 1),
        ("50.00", 450, 1),
        ("Amount due", 300, 2),
        ("70.00", 450, 2),
    )

    assert (fields.total, fields.amount_due) == (None, Decimal("70.00"))


def test_stacked_amounts_under_a_total_heading_give_the_sum_row():
    fields = read(
        ("Nettobetrag", 200, 0),
        ("MwSt-Betrag", 300, 0),
        ("Endbetrag", 400, 0),
        ("100,00", 200, 1),
        ("19,00", 300, 1),
        ("119,00", 400, 1),
        ("50,00", 200, 2),
        ("3,50", 300, 2),
        ("53,50", 400, 2),
        ("150,00", 200, 3),
        ("22,50", 300, 3),
        ("172,50", 400, 3),
    )

    assert fields.total == Decimal("172.50")


def test_an_item_column_headed_total_is_not_the_invoice_total():
    fields = read(
        ("Invoice No. 7", 40, 0),
        ("Description", 40, 2),
        ("Qty", 250, 2),
        ("Total", 400, 2),
        ("Widget", 40, 3),
        ("2", 250, 3),
        ("30.00", 400, 3),
    )

    assert fields.total is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invoice date: Jan 5 , 2026", date(2026, 1, 5)),
        ("Rechnungsdatum: 1. März 2026", date(2026, 3, 1)),
        ("Date de facture : 1er février 2026", date(2026, 2, 1)),
        ("Facture FA-12 du 15 janvier 2026", date(2026, 1, 15)),
        ("Invoice # 12 dated 3 June 2025", date(2025, 6, 3)),
        ("Invoice # RE-1 issued at 2019-06-10", date(2019, 6, 10)),
    ],
)
def test_dates_in_words_and_after_the_number(text, expected):
    assert fields_from_text(text).issue_date == expected


def test_slashed_dates_follow_the_document_order():
    us = "Invoice Date 11/03/2017\nPayment 11/17/2017"
    eu = "Invoice Date 11/03/2017\nDue 25/03/2017"

    assert fields_from_text(us).issue_date == date(2017, 11, 3)
    assert fields_from_text(eu).issue_date == date(2017, 3, 11)


def test_due_and_delivery_dates_are_not_the_issue_date():
    text = "Invoice No. 9\nDue date: 2026-02-15\nDelivery date: 2026-01-10"

    assert fields_from_text(text).issue_date is None


def test_a_credit_note_states_a_positive_total():
    fields = read(("Avoir AV-2017-0005", 40, 0), ("Total TTC", 300, 4), ("-233,47 €", 450, 4))

    assert (fields.type, fields.total) == ("credit_note", Decimal("233.47"))


def test_words_of_two_columns_on_one_line_stay_apart():
    layout = layout_from_words(page(("Acme GmbH", 40, 0), ("Rechnung Nr. 42", 300, 0)))

    assert [cell.text for cell in layout.lines[0]] == ["Acme GmbH", "Rechnung Nr. 42"]


def test_a_named_total_whose_amount_is_unreadable_is_not_guessed_from_other_rows():
    fields = read(
        ("Facture FA-1", 40, 0),
        ("Total TTC", 300, 3),
        ("€", 450, 3),
        ("Règlement", 40, 4),
        ("Montant", 200, 4),
        ("Solde à payer", 300, 4),
        ("470,15 €", 450, 4),
        ("Virement", 40, 5),
        ("201,00 €", 200, 5),
    )

    assert (fields.total, fields.amount_due) == (None, Decimal("470.15"))


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("[Rechiungsoummer", "[Rechnungsnummer"),
        ("Bruttosumrne", "Bruttosumme"),
        ("Zahibetrag", "Zahlbetrag"),
        ("Kundenummer", "Kundennummer"),  # stays a customer number, never an invoice number
        ("Steuerbasisbetrag", "Steuerbasisbetrag"),  # the tax base is not the tax
        ("Lieferantenstraße", "Lieferantenstraße"),
        ("R0005532486", "R0005532486"),
    ],
)
def test_ocr_misreads_of_long_label_words_are_put_back(read, repaired):
    (word,) = repair((Word(read, 0, 0, 0, 10, 10),))

    assert word.text == repaired


def test_numbers_ocr_split_at_their_punctuation_are_joined_but_labels_stay_apart():
    def after(word: Word, text: str) -> Word:
        return Word(text, 0, word.x1 + 4, word.top, word.x1 + 4 + CHAR * len(text), word.bottom)

    invoice, number_start, total, ht = page(("Invoice RE-", 40, 0), ("Total HT-", 40, 2))
    split = (invoice, number_start, after(number_start, "20200620/508"), total, ht, after(ht, "100,00"))

    assert [w.text for w in repair(split)] == ["Invoice", "RE-20200620/508", "Total", "HT-", "100,00"]
