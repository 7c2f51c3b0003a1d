"""What scans get wrong and the reader puts right: a residual skew that splits a label's line
from its value's, figures the page layout of Tesseract drops or misreads, words a label
repair would spoil, a number sign cut from its title, slashed dates that read both ways."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from inbox.extract.fields import fields_from_layout
from inbox.extract.layout import Word, layout_from_text
from inbox.extract.ocr import skew_angle, with_sparse_figures
from inbox.extract.ocr_repair import repair
from tests.inbox.test_ocr import scanned
from tests.needs import needs_tesseract


@needs_tesseract  # the fixture is a scan rendered from a generated invoice
def test_skew_is_measured_to_a_tenth_of_a_degree():
    # A quarter degree left over drifts a line by ten pixels across a 300 dpi page, enough to
    # put a label and its value on two lines; half-degree steps left up to that.
    _, (page,) = scanned(1)
    level = page.rotate(skew_angle(page), expand=True, fillcolor=255)

    assert abs(skew_angle(level.rotate(1.2, expand=True, fillcolor=255)) - (-1.2)) <= 0.1


def word(text: str, x0: float, x1: float, top: float = 100) -> Word:
    return Word(text, 0, x0, top, x1, top + 30)


def test_a_figure_only_the_sparse_reading_found_is_added():
    page = [(word("Bruttosumme", 500, 700), 95.0)]
    sparse = [(word("Bruttosumme", 500, 700), 96.0), (word("529,87", 2100, 2220), 96.0)]

    assert [w.text for w, _ in with_sparse_figures(page, sparse)] == ["Bruttosumme", "529,87"]


def test_an_unsure_figure_gives_way_to_a_sure_reading_of_the_same_blob_not_to_a_fragment():
    page = [(word("285,62", 1840, 2250), 41.0), (word("31901,60", 1796, 1981, top=300), 52.0)]
    sparse = [(word("235,62", 2133, 2254), 96.8), (word("31", 1796, 1828, top=300), 96.8)]

    kept = sorted(w.text for w, _ in with_sparse_figures(page, sparse))

    assert kept == ["235,62", "31901,60"]  # the sure figure spans what it replaces; "31" does not


def test_a_sure_page_reading_is_kept_and_words_without_digits_are_not_taken():
    page = [(word("235,62", 2133, 2254), 88.0)]
    sparse = [(word("285,62", 2133, 2254), 97.0), (word("Zahlbetrag", 500, 700), 97.0)]

    assert [w.text for w, _ in with_sparse_figures(page, sparse)] == ["235,62"]


def test_a_common_word_near_a_label_is_not_repaired_into_the_label():
    words = (word("Lieferant", 100, 260), word("GmbH", 280, 360), word("Rechiungsoummer", 100, 400, top=200))

    assert [w.text for w in repair(words)] == ["Lieferant", "GmbH", "Rechnungsnummer"]


def test_a_number_sign_a_gap_cut_from_its_title_still_makes_the_title_a_label():
    fields = fields_from_layout(layout_from_text("Kunden AG Mitte    Invoice    #101289\nTotal due 10.00"))

    assert fields is not None and fields.number == "101289"


def test_a_slashed_date_that_reads_both_ways_is_left_unread_where_amounts_have_decimal_points():
    english = "Invoice INV-7\nInvoice Date  11/03/2017\nTotal  623.00 EUR"
    decided = english + "\nDue date  11/18/2017"
    continental = "Facture FA-7\nDate de facture  11/03/2017\nTotal TTC  623,00 EUR"

    assert fields_from_layout(layout_from_text(english)).issue_date is None
    assert fields_from_layout(layout_from_text(decided)).issue_date == date(2017, 11, 3)
    assert fields_from_layout(layout_from_text(continental)).issue_date == date(2017, 3, 11)


def test_a_speck_before_the_letterhead_company_is_not_part_of_its_name():
    fields = fields_from_layout(layout_from_text(". Bei Spiel GmbH\nInvoice no. 7\nTotal due 10.00"))

    assert fields is not None and fields.seller == "Bei Spiel GmbH"


def test_a_ttc_heading_whose_total_ocr_lost_still_heads_the_gross_amount():
    text = "Facture N° 2024/1\nTotal HT     TVA 20 %     TTC\n26584,67 €   5316,93 €    31901,60 €"

    assert fields_from_layout(layout_from_text(text)).total == Decimal("31901.60")
