"""OASIS UBL 2.1 Invoice and CreditNote reader (EN 16931 UBL syntax, XRechnung UBL, Peppol BIS)."""

from __future__ import annotations

from lxml import etree

from inbox.extract.einvoice_values import (
    date_of,
    decimal_of,
    invoice_type,
    profile_name,
    text_of,
)
from inbox.extract.model import InvoiceFields, InvoiceLine, InvoiceSource, InvoiceType

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
MAX_LINES = 1000


def _first(node: etree._Element, path: str) -> etree._Element | None:
    found = node.xpath(path, namespaces=_NS)
    return found[0] if found else None


def read_ubl(root: etree._Element) -> InvoiceFields:
    credit_note = etree.QName(root).namespace == UBL_CREDIT_NOTE
    seller = "cac:AccountingSupplierParty/cac:Party"
    buyer = "cac:AccountingCustomerParty/cac:Party"
    totals = "cac:LegalMonetaryTotal"
    currency = text_of(_first(root, "cbc:DocumentCurrencyCode"))
    type_code = text_of(_first(root, "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode"))
    return InvoiceFields(
        source=InvoiceSource.XML,
        type=InvoiceType.CREDIT_NOTE if credit_note else invoice_type(type_code),
        number=text_of(_first(root, "cbc:ID")),
        issue_date=date_of(text_of(_first(root, "cbc:IssueDate"))),
        # BT-9: cbc:DueDate on an Invoice, PaymentMeans/PaymentDueDate on a CreditNote.
        due_date=date_of(text_of(_first(root, "cbc:DueDate | cac:PaymentMeans/cbc:PaymentDueDate"))),
        seller=_party_name(root, seller),
        seller_vat_id=text_of(
            _first(root, f"{seller}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID")
        ),
        buyer=_party_name(root, buyer),
        buyer_reference=text_of(_first(root, "cbc:BuyerReference")),
        net_total=decimal_of(_first(root, f"{totals}/cbc:TaxExclusiveAmount")),
        tax_total=decimal_of(_tax_total(root, currency)),
        total=decimal_of(_first(root, f"{totals}/cbc:TaxInclusiveAmount")),
        amount_due=decimal_of(_first(root, f"{totals}/cbc:PayableAmount")),
        currency=currency,
        profile=profile_name(text_of(_first(root, "cbc:CustomizationID"))),
        lines=_lines(root, credit_note),
    )


def _party_name(root: etree._Element, party: str) -> str | None:
    # BT-27/BT-44 is the legal registration name; the trading name is the fallback.
    return text_of(_first(root, f"{party}/cac:PartyLegalEntity/cbc:RegistrationName")) or text_of(
        _first(root, f"{party}/cac:PartyName/cbc:Name")
    )


def _tax_total(root: etree._Element, currency: str | None) -> etree._Element | None:
    # A second cac:TaxTotal carries the VAT in the tax currency (BT-111); keep the invoice's.
    amounts = root.xpath("cac:TaxTotal/cbc:TaxAmount", namespaces=_NS)
    for amount in amounts:
        if amount.get("currencyID") == currency:
            return amount
    return amounts[0] if amounts else None


def _lines(root: etree._Element, credit_note: bool) -> tuple[InvoiceLine, ...]:
    line, quantity_name = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
        if credit_note
        else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    lines = []
    for item in root.xpath(line, namespaces=_NS)[:MAX_LINES]:
        quantity = _first(item, quantity_name)
        lines.append(
            InvoiceLine(
                description=text_of(_first(item, "cac:Item/cbc:Name")),
                quantity=decimal_of(quantity),
                unit=quantity.get("unitCode") if quantity is not None else None,
                unit_price=decimal_of(_first(item, "cac:Price/cbc:PriceAmount")),
                net_amount=decimal_of(_first(item, "cbc:LineExtensionAmount")),
            )
        )
    return tuple(lines)
