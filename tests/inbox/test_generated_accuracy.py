"""Accuracy over generated invoices of many layouts, as text layers and as scans.

Written by the same hands as the reader, so these figures say the reader does what it was
built to do; what it does on real invoices is measured over the shared corpus."""

from __future__ import annotations

from inbox import scans
from inbox.extract.model import InvoiceFields, InvoiceSource
from inbox.extract.pdf import read_pdf
from tests.layoutgen import LAYOUTS, generate_layout
from tests.needs import needs_tesseract

TEXT_LAYER_INVOICES = 80
SCANNED_INVOICES = 6


def measure(seeds, pdf_of) -> tuple[dict[str, float], dict[str, int]]:
    hits = {"number": 0, "issue_date": 0, "total": 0}
    wrong = dict.fromkeys(hits, 0)
    for seed in seeds:
        invoice = generate_layout(seed)
        fields = read_pdf(pdf_of(invoice, seed)).invoice or InvoiceFields(source=InvoiceSource.TEXT)
        for name, expected in (("number", invoice.number), ("issue_date", invoice.issue_date)):
            hits[name] += getattr(fields, name) == expected
            wrong[name] += getattr(fields, name) not in (None, expected)
        hits["total"] += fields.total == invoice.total
        wrong["total"] += fields.total not in (None, invoice.total)
    return {name: count / len(seeds) for name, count in hits.items()}, wrong


def test_every_layout_is_generated():
    assert {LAYOUTS[seed % len(LAYOUTS)] for seed in range(TEXT_LAYER_INVOICES)} == set(LAYOUTS)


def test_text_layer_invoices_of_every_layout_are_read():
    accuracy, wrong = measure(range(TEXT_LAYER_INVOICES), lambda invoice, _seed: invoice.pdf)

    assert min(accuracy.values()) >= 0.95, accuracy
    assert wrong == {"number": 0, "issue_date": 0, "total": 0}


@needs_tesseract
def test_scans_of_them_are_read_by_ocr():
    def scan(invoice, seed):
        return scans.as_pdf(scans.scanned_pages(invoice.pdf, seed, pages=1))

    accuracy, wrong = measure(range(100, 100 + SCANNED_INVOICES), scan)

    assert min(accuracy.values()) >= 0.8, accuracy
    assert wrong["total"] == 0
