"""Every e-invoice of the shared corpus gives the outcome expected.json states."""

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from inbox.extract.einvoice import EInvoiceError, invoice_from_pdf, invoice_from_xml
from tests.corpus_files import EINVOICES, expected_einvoices

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not expected_einvoices(), reason="shared corpus absent"),
]
ENTRIES = expected_einvoices()


def extract(path):
    data = path.read_bytes()
    if path.suffix.lower() == ".pdf":
        return invoice_from_pdf(PdfReader(io.BytesIO(data)))
    return invoice_from_xml(data)


def by_expectation(*expects):
    return [pytest.param(e, id=e["file"]) for e in ENTRIES if e["expect"] in expects]


# Policy: a malformed XML declaration is skipped, so those files are read like valid ones.
@pytest.mark.parametrize("entry", by_expectation("ok", "invalid_xml_declaration"))
def test_invoice_fields_match(entry):
    fields = extract(EINVOICES / entry["file"])

    assert fields is not None
    assert fields.number == entry["invoice_number"]
    assert fields.issue_date == date.fromisoformat(entry["issue_date"])
    assert fields.seller == " ".join(entry["seller"].split())
    assert fields.total == Decimal(entry["total"])
    assert fields.currency == entry["currency"]
    assert fields.type == ("credit_note" if entry["type_code"] == "381" else "invoice")


@pytest.mark.parametrize("entry", by_expectation("no_einvoice"))
def test_plain_pdf_has_no_einvoice(entry):
    assert extract(EINVOICES / entry["file"]) is None


@pytest.mark.parametrize("entry", by_expectation("pdf_error"))
def test_unreadable_pdf_fails_when_opening(entry):
    # pypdf refuses it before any e-invoice code runs; pdf.py records that as a corrupt PDF.
    with pytest.raises(Exception, match=".") as caught:
        PdfReader(io.BytesIO((EINVOICES / entry["file"]).read_bytes()))
    assert not isinstance(caught.value, EInvoiceError)


@pytest.mark.parametrize("entry", by_expectation("unsupported_format"))
def test_unsupported_format_is_named(entry):
    with pytest.raises(EInvoiceError, match="unsupported e-invoice format: FatturaPA"):
        extract(EINVOICES / entry["file"])


def test_every_expectation_is_covered():
    known = {"ok", "invalid_xml_declaration", "no_einvoice", "pdf_error", "unsupported_format"}
    assert {e["expect"] for e in ENTRIES} <= known


def test_same_invoice_in_ubl_and_cii_gives_same_fields():
    ubl = extract(EINVOICES / "xml/cen_ubl_example1.xml")
    cii = extract(EINVOICES / "xml/cen_cii_example1.xml")

    for name in ("number", "issue_date", "seller", "seller_vat_id", "buyer", "total", "currency"):
        assert getattr(ubl, name) == getattr(cii, name), name
    assert len(ubl.lines) == len(cii.lines)
    assert [line.net_amount for line in ubl.lines] == [line.net_amount for line in cii.lines]
