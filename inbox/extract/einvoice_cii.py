"""UN/CEFACT Cross Industry Invoice readers: Factur-X / ZUGFeRD 2.x / XRechnung CII, ZUGFeRD 1.0
and its 2014 release candidate. The three differ in namespaces and element names, not in shape."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from lxml import etree

from inbox.extract.einvoice_values import (
    date_of,
    decimal_of,
    invoice_type,
    profile_name,
    text_of,
)
from inbox.extract.model import InvoiceFields, InvoiceLine, InvoiceSource

MAX_LINES = 1000


@dataclass(frozen=True, slots=True)
class Dialect:
    namespaces: dict[str, str]
    context: str
    document: str
    transaction: str
    agreement: str
    settlement: str
    summation: str
    line_delivery: str
    line_agreement: str
    line_settlement: str
    line_summation: str
    qualified: bool = True  # the release candidate writes every child without a namespace

    def path(self, path: str) -> str:
        return path if self.qualified else path.replace("ram:", "").replace("udt:", "")


CII_D16B = Dialect(
    namespaces={
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    },
    context="rsm:ExchangedDocumentContext",
    document="rsm:ExchangedDocument",
    transaction="rsm:SupplyChainTradeTransaction",
    agreement="ram:ApplicableHeaderTradeAgreement",
    settlement="ram:ApplicableHeaderTradeSettlement",
    summation="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    line_delivery="ram:SpecifiedLineTradeDelivery",
    line_agreement="ram:SpecifiedLineTradeAgreement",
    line_settlement="ram:SpecifiedLineTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementLineMonetarySummation",
)

ZUGFERD1 = Dialect(
    namespaces={
        "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
    },
    context="rsm:SpecifiedExchangedDocumentContext",
    document="rsm:HeaderExchangedDocument",
    transaction="rsm:SpecifiedSupplyChainTradeTransaction",
    agreement="ram:ApplicableSupplyChainTradeAgreement",
    settlement="ram:ApplicableSupplyChainTradeSettlement",
    summation="ram:SpecifiedTradeSettlementMonetarySummation",
    line_delivery="ram:SpecifiedSupplyChainTradeDelivery",
    line_agreement="ram:SpecifiedSupplyChainTradeAgreement",
    line_settlement="ram:SpecifiedSupplyChainTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementMonetarySummation",
)

# The 2014 release candidate: ZUGFeRD 1.0 element names, root namespace CBFBUY:5, bare children.
ZUGFERD1_RC = dataclasses.replace(
    ZUGFERD1, namespaces={"rsm": "urn:un:unece:uncefact:data:standard:CBFBUY:5"}, qualified=False
)


def _first(node: etree._Element, d: Dialect, path: str) -> etree._Element | None:
    found = node.xpath(d.path(path), namespaces=d.namespaces)
    return found[0] if found else None


def read_cii(root: etree._Element, d: Dialect) -> InvoiceFields:
    def first(path: str) -> etree._Element | None:
        return _first(root, d, path)

    def when(element: etree._Element | None) -> str | None:
        # A date is udt:DateTimeString inside the element; the release candidate puts it inline.
        if element is None:
            return None
        return text_of(_first(element, d, "udt:DateTimeString")) or text_of(element)

    doc = f"/rsm:*/{d.document}"
    agreement = f"/rsm:*/{d.transaction}/{d.agreement}"
    settlement = f"/rsm:*/{d.transaction}/{d.settlement}"
    summation = f"{settlement}/{d.summation}"
    seller = f"{agreement}/ram:SellerTradeParty"
    currency = text_of(first(f"{settlement}/ram:InvoiceCurrencyCode"))
    return InvoiceFields(
        source=InvoiceSource.XML,
        type=invoice_type(text_of(first(f"{doc}/ram:TypeCode"))),
        number=text_of(first(f"{doc}/ram:ID")),
        issue_date=date_of(when(first(f"{doc}/ram:IssueDateTime"))),
        due_date=date_of(when(first(f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime"))),
        seller=text_of(first(f"{seller}/ram:Name")),
        seller_vat_id=text_of(
            first(f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA'][normalize-space()]")
        ),
        buyer=text_of(first(f"{agreement}/ram:BuyerTradeParty/ram:Name")),
        buyer_reference=text_of(first(f"{agreement}/ram:BuyerReference")),
        net_total=decimal_of(first(f"{summation}/ram:TaxBasisTotalAmount")),
        tax_total=decimal_of(_in_currency(root, d, f"{summation}/ram:TaxTotalAmount", currency)),
        total=decimal_of(first(f"{summation}/ram:GrandTotalAmount")),
        amount_due=decimal_of(first(f"{summation}/ram:DuePayableAmount")),
        currency=currency,
        profile=profile_name(
            text_of(first(f"/rsm:*/{d.context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"))
        ),
        lines=_lines(root, d),
    )


def _in_currency(root: etree._Element, d: Dialect, path: str, currency: str | None) -> etree._Element | None:
    # With a separate tax currency (EXTENDED, XRechnung) the VAT total appears once per currency.
    amounts = root.xpath(d.path(path), namespaces=d.namespaces)
    for amount in amounts:
        if amount.get("currencyID") == currency:
            return amount
    return amounts[0] if amounts else None


def _lines(root: etree._Element, d: Dialect) -> tuple[InvoiceLine, ...]:
    items = root.xpath(
        d.path(f"/rsm:*/{d.transaction}/ram:IncludedSupplyChainTradeLineItem"),
        namespaces=d.namespaces,
    )
    lines = []
    for item in items[:MAX_LINES]:
        quantity = _first(item, d, f"{d.line_delivery}/ram:BilledQuantity")
        lines.append(
            InvoiceLine(
                # A line without a product is a text line (ZUGFeRD 1): its note is the description.
                description=text_of(_first(item, d, "ram:SpecifiedTradeProduct/ram:Name"))
                or text_of(
                    _first(item, d, "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content")
                ),
                quantity=decimal_of(quantity),
                unit=quantity.get("unitCode") if quantity is not None else None,
                unit_price=decimal_of(
                    _first(
                        item,
                        d,
                        f"{d.line_agreement}/ram:NetPriceProductTradePrice/ram:ChargeAmount",
                    )
                ),
                net_amount=decimal_of(
                    _first(item, d, f"{d.line_settlement}/{d.line_summation}/ram:LineTotalAmount")
                ),
            )
        )
    return tuple(lines)
