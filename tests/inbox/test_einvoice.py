import io
import socket
from datetime import date
from decimal import Decimal

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from inbox.extract.einvoice import EInvoiceError, invoice_from_pdf, invoice_from_xml

CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended</ram:ID>
 </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>FA-2024-0042</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
  <ram:IssueDateTime>
   <udt:DateTimeString format="102">20240229</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:SpecifiedTradeProduct><ram:Name>Conseil</ram:Name></ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>
    <ram:ChargeAmount>100.005</ram:ChargeAmount></ram:NetPriceProductTradePrice>
   </ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="HUR">2</ram:BilledQuantity>
   </ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement><ram:SpecifiedTradeSettlementLineMonetarySummation>
    <ram:LineTotalAmount>200.01</ram:LineTotalAmount>
   </ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:BuyerReference>04011000-12345-34</ram:BuyerReference>
   <ram:SellerTradeParty><ram:Name>Atelier
     Dupont &amp; Fils</ram:Name>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">123/456</ram:ID>
    </ram:SpecifiedTaxRegistration>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR11999999998</ram:ID>
    </ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Client SA</ram:Name></ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>GBP</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>
    <udt:DateTimeString format="102">20240330</udt:DateTimeString></ram:DueDateDateTime>
   </ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>200.01</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">46.80</ram:TaxTotalAmount>
    <ram:TaxTotalAmount currencyID="GBP">40.00</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>240.01</ram:GrandTotalAmount>
    <ram:DuePayableAmount>140.01</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

UBL_CREDIT_NOTE = """<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
 <cbc:ID>CN-7</cbc:ID><cbc:IssueDate>2023-12-31</cbc:IssueDate>
 <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party>
  <cac:PartyName><cbc:Name>Trading name</cbc:Name></cac:PartyName>
  <cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID>
   <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Müller GmbH</cbc:RegistrationName>
  </cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:LegalMonetaryTotal>
  <cbc:TaxExclusiveAmount currencyID="EUR">10</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">11.90</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">11.90</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:CreditNoteLine><cbc:CreditedQuantity unitCode="C62">1</cbc:CreditedQuantity>
  <cbc:LineExtensionAmount currencyID="EUR">10</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Rücknahme</cbc:Name></cac:Item></cac:CreditNoteLine>
</CreditNote>"""


def cii(type_code: str = "380") -> bytes:
    return CII.format(type_code=type_code).encode()


def test_cii_fields_are_read_exactly():
    fields = invoice_from_xml(cii())

    assert fields.source == "xml"
    assert fields.type == "invoice"
    assert fields.number == "FA-2024-0042"
    assert fields.issue_date == date(2024, 2, 29)
    assert fields.due_date == date(2024, 3, 30)
    assert fields.seller == "Atelier Dupont & Fils"
    assert fields.seller_vat_id == "FR11999999998"
    assert fields.buyer == "Client SA"
    assert fields.buyer_reference == "04011000-12345-34"
    assert fields.net_total == Decimal("200.01")
    assert fields.tax_total == Decimal("40.00")  # the invoice currency's, not the tax currency's
    assert fields.total == Decimal("240.01")
    assert fields.amount_due == Decimal("140.01")
    assert fields.currency == "GBP"
    assert fields.profile == "EXTENDED"
    assert fields.confidence["total"] == 1.0
    (line,) = fields.lines
    assert (line.description, line.quantity, line.unit) == ("Conseil", Decimal("2"), "HUR")
    assert (line.unit_price, line.net_amount) == (Decimal("100.005"), Decimal("200.01"))


@pytest.mark.parametrize(("code", "kind"), [("381", "credit_note"), ("384", "invoice")])
def test_type_code_decides_credit_note(code, kind):
    assert invoice_from_xml(cii(code)).type == kind


def test_ubl_credit_note_uses_the_legal_name_and_tax_inclusive_total():
    fields = invoice_from_xml(UBL_CREDIT_NOTE.encode())

    assert fields.type == "credit_note"
    assert (fields.number, fields.issue_date) == ("CN-7", date(2023, 12, 31))
    assert fields.seller == "Müller GmbH"
    assert fields.seller_vat_id == "DE123456789"
    assert (fields.total, fields.currency) == (Decimal("11.90"), "EUR")
    assert fields.profile == "EN 16931"
    assert fields.lines[0].description == "Rücknahme"


def test_bom_is_accepted():
    assert invoice_from_xml(b"\xef\xbb\xbf" + cii()).number == "FA-2024-0042"


def test_malformed_xml_declaration_is_skipped_by_policy():
    data = cii().replace(b'encoding="UTF-8"', b'encoding="UTF-8-W/O-BOM"')

    assert invoice_from_xml(data).number == "FA-2024-0042"


def test_damage_after_a_good_declaration_is_refused():
    with pytest.raises(EInvoiceError, match="unreadable e-invoice"):
        invoice_from_xml(cii()[:-40])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "unreadable"),
        (b"%PDF-1.7", "unreadable"),
        (b"<Invoice xmlns='urn:example'/>", "unsupported e-invoice format: root element 'Invoice'"),
        (
            b"<p:FatturaElettronica xmlns:p='http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2'/>",
            "unsupported e-invoice format: FatturaPA",
        ),
    ],
)
def test_other_inputs_are_a_clean_error(data, reason):
    with pytest.raises(EInvoiceError, match=reason):
        invoice_from_xml(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lollollollollollollollollollol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>&lol9;</cbc:ID></Invoice>"""


def test_billion_laughs_is_refused():
    with pytest.raises(EInvoiceError, match="unreadable e-invoice"):
        invoice_from_xml(BILLION_LAUGHS)


def test_local_file_entity_is_refused_without_reading_it(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
        ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        "<cbc:ID>&xxe;</cbc:ID></Invoice>"
    ).encode()

    with pytest.raises(EInvoiceError, match="unreadable e-invoice") as caught:
        invoice_from_xml(data)
    assert "TOP-SECRET" not in str(caught.value)


def test_external_entity_and_dtd_open_no_connection():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        data = (
            f'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:{port}/dtd" '
            f'[<!ENTITY e SYSTEM "http://127.0.0.1:{port}/entity">]>'
            '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
            ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
            "<cbc:ID>&e;</cbc:ID></Invoice>"
        ).encode()

        with pytest.raises(EInvoiceError, match="unreadable e-invoice"):
            invoice_from_xml(data)

        # A fetch would have left a connection waiting in the listen backlog.
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()


def hybrid_pdf(attachments: dict[str, bytes]) -> PdfReader:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Invoice FA-2024-0042")
    for name, data in attachments.items():
        pdf.embed_file(bytes=data, basename=name)
    return PdfReader(io.BytesIO(bytes(pdf.output())))


def test_pdf_prefers_factur_x_over_the_legacy_name():
    reader = hybrid_pdf({"ZUGFeRD-invoice.xml": cii("380"), "factur-x.xml": cii("381")})

    assert invoice_from_pdf(reader).type == "credit_note"


def test_pdf_xml_with_another_name_is_found_by_its_root():
    reader = hybrid_pdf({"notes.xml": b"<notes/>", "INV_42.xml": UBL_CREDIT_NOTE.encode()})

    assert invoice_from_pdf(reader).number == "CN-7"


def test_pdf_without_invoice_xml_gives_none():
    assert invoice_from_pdf(hybrid_pdf({"notes.xml": b"<notes/>", "a.txt": b"x"})) is None


def test_pdf_with_broken_invoice_xml_is_an_error():
    with pytest.raises(EInvoiceError, match="unreadable"):
        invoice_from_pdf(hybrid_pdf({"factur-x.xml": b"<rsm:Cross"}))
