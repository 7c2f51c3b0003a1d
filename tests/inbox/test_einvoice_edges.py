"""E-invoice XML as senders' tools really write it: offsets on dates, things before the root."""

from datetime import date

import pytest

from inbox.extract import extract_mail
from inbox.extract.einvoice import invoice_from_xml
from inbox.extract.model import DocumentKind
from tests.builders import make_mail
from tests.inbox.test_einvoice import UBL_CREDIT_NOTE, cii

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@pytest.mark.parametrize("written", ["2023-12-31+01:00", "2023-12-31-05:00", "2023-12-31Z", " 2023-12-31 "])
def test_ubl_date_with_a_time_zone_offset_gives_the_day(written):
    xml = UBL_CREDIT_NOTE.replace("<cbc:IssueDate>2023-12-31<", f"<cbc:IssueDate>{written}<").encode()

    assert invoice_from_xml(xml).issue_date == date(2023, 12, 31)


def test_a_date_that_is_not_xsd_date_stays_absent():
    xml = UBL_CREDIT_NOTE.replace("<cbc:IssueDate>2023-12-31<", "<cbc:IssueDate>31.12.2023<").encode()

    assert invoice_from_xml(xml).issue_date is None


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param(b"<!-- exported by an invoicing tool -->\n", id="comment"),
        pytest.param(b'<?xml-stylesheet type="text/xsl" href="invoice.xsl"?>\n', id="processing-instruction"),
        pytest.param(DECLARATION + b"<!-- a comment after the declaration -->\n", id="declaration-comment"),
        pytest.param(b"\xef\xbb\xbf" + DECLARATION, id="bom"),
        pytest.param(b"\r\n  \t" + DECLARATION, id="whitespace-before-declaration"),
        pytest.param(b"\xef\xbb\xbf\n" + DECLARATION, id="bom-and-whitespace"),
    ],
)
@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_xml_einvoice_with_something_before_its_root_is_an_einvoice_in_a_mail(prefix, syntax):
    body = UBL_CREDIT_NOTE.encode() if syntax == "ubl" else cii().removeprefix(DECLARATION)
    mail = make_mail(attachments=[("invoice.xml", prefix + body, "application/octet-stream")])

    (document,) = extract_mail(mail.as_bytes()).documents

    assert document.kind is DocumentKind.EINVOICE_XML
    assert document.invoice is not None and document.invoice.source == "xml"
    assert document.invoice.number


def test_html_is_still_not_taken_for_xml():
    mail = make_mail(attachments=[("page.html", b"<!DOCTYPE html><html><body>x</body></html>", "text/html")])

    assert extract_mail(mail.as_bytes()).documents == ()
