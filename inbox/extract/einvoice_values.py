"""Turning e-invoice element text into values: whitespace-normalised text, exact decimals, dates."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from inbox.extract.model import InvoiceType

_SPACES = re.compile(r"\s+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def text_of(element: etree._Element | None) -> str | None:
    """Element text with runs of whitespace (line breaks in names) folded to one space."""
    if element is None or element.text is None:
        return None
    text = _SPACES.sub(" ", element.text).strip()
    return text or None


def decimal_of(element: etree._Element | None) -> Decimal | None:
    """xsd:decimal text as an exact Decimal; anything else is treated as absent."""
    text = text_of(element)
    if text is None or not _DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def date_of(text: str | None) -> date | None:
    """CII format 102 (YYYYMMDD) or ISO YYYY-MM-DD (UBL); other forms are treated as absent."""
    if text is None:
        return None
    digits = text.replace("-", "") if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text
    if not re.fullmatch(r"\d{8}", digits):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def invoice_type(type_code: str | None) -> InvoiceType:
    # 381 is the UNTDID 1001 code for a credit note; corrections (384) and self-billing (389)
    # remain invoices for the account holder.
    return InvoiceType.CREDIT_NOTE if type_code == "381" else InvoiceType.INVOICE


_PROFILE_SUFFIXES = (
    (":extended", "EXTENDED"),
    (":basicwl", "BASIC WL"),
    (":basic", "BASIC"),
    (":minimum", "MINIMUM"),
    (":en16931", "EN 16931"),
)


def profile_name(guideline: str | None) -> str | None:
    """Guideline / CustomizationID as a profile people know, or the raw id when none fits."""
    if guideline is None:
        return None
    lowered = guideline.lower()
    if "xrechnung" in lowered:
        return "XRechnung"
    for suffix, name in _PROFILE_SUFFIXES:
        if lowered.endswith(suffix):
            return name
    if lowered == "urn:cen.eu:en16931:2017":
        return "EN 16931"
    return guideline
