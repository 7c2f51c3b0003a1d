"""Sniffing accepts exactly the e-invoice roots a reader reads: standalone XML of every format
with a reader becomes an e-invoice document (a ZUGFeRD 1 XML used to be "unsupported")."""

from __future__ import annotations

import pytest

from inbox.extract import extract_mail
from inbox.extract.einvoice import READABLE_ROOTS
from inbox.extract.model import Decision, DocumentKind, InvoiceSource
from tests.builders import make_mail

# ZUGFeRD 1.0 as its 2014 release candidate writes it: root Invoice in CBFBUY:5, bare grandchildren.
ZUGFERD1_RC = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:Invoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CBFBUY:5">
 <rsm:HeaderExchangedDocument><ID>ZF1-2014-7</ID><TypeCode>380</TypeCode>
  <IssueDateTime>20140305</IssueDateTime></rsm:HeaderExchangedDocument>
 <rsm:SpecifiedSupplyChainTradeTransaction>
  <ApplicableSupplyChainTradeAgreement>
   <SellerTradeParty><Name>Lieferant GmbH</Name></SellerTradeParty>
  </ApplicableSupplyChainTradeAgreement>
  <ApplicableSupplyChainTradeSettlement><InvoiceCurrencyCode>EUR</InvoiceCurrencyCode>
   <SpecifiedTradeSettlementMonetarySummation><GrandTotalAmount>119.00</GrandTotalAmount>
   </SpecifiedTradeSettlementMonetarySummation>
  </ApplicableSupplyChainTradeSettlement>
 </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:Invoice>
"""


def only_part(xml: bytes, name: str = "invoice.xml"):
    mail = make_mail(attachments=[(name, xml, "application/xml")])
    (part,) = [p for p in extract_mail(mail.as_bytes()).parts if p.filename == name]
    return part


def test_a_standalone_zugferd1_xml_is_an_einvoice_document_with_its_fields():
    part = only_part(ZUGFERD1_RC)

    assert (part.decision, part.kind) == (Decision.DOCUMENT, DocumentKind.EINVOICE_XML), part.reason
    assert part.invoice is not None and part.invoice.source is InvoiceSource.XML
    assert (part.invoice.number, str(part.invoice.total)) == ("ZF1-2014-7", "119.00")


@pytest.mark.parametrize("root", sorted(READABLE_ROOTS))
def test_every_root_a_reader_reads_is_sniffed_as_an_einvoice(root):
    namespace, name = root
    xml = f'<?xml version="1.0"?><x:{name} xmlns:x="{namespace}"><x:ID>1</x:ID></x:{name}>'.encode()

    part = only_part(xml)

    assert (part.decision, part.kind) == (Decision.DOCUMENT, DocumentKind.EINVOICE_XML), part.reason


def test_xml_without_a_reader_stays_unsupported():
    part = only_part(b'<?xml version="1.0"?><FatturaElettronica xmlns="urn:x"/>')

    assert part.decision is Decision.UNSUPPORTED
