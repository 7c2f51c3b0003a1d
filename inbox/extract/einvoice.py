"""Structured e-invoices: CII (Factur-X, ZUGFeRD 1/2, XRechnung) and UBL XML to InvoiceFields.

Pure functions over bytes or an open pypdf reader; no I/O. Every XML goes through xmlsafe.
"""

from __future__ import annotations

import dataclasses

from lxml import etree
from pypdf import PdfReader

from inbox.extract.einvoice_cii import CII_D16B, ZUGFERD1, ZUGFERD1_RC, read_cii
from inbox.extract.einvoice_ubl import UBL_CREDIT_NOTE, UBL_INVOICE, read_ubl
from inbox.extract.model import InvoiceFields
from inbox.extract.pdf_attachments import embedded_xml_files
from inbox.extract.xmlsafe import UnsafeXML, parse_xml, root_name

__all__ = [
    "EInvoiceError",
    "invoice_from_pdf",
    "invoice_from_xml",
    "is_einvoice",
    "is_einvoice_root",
    "READABLE_ROOTS",
]

# Names the Factur-X, XRechnung and ZUGFeRD 2 / 1 specifications give the embedded XML,
# in the order a hybrid PDF carrying several of them is read.
PREFERRED_NAMES = ("factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml", "ZUGFeRD-invoice.xml")

# The table of readers is also the list of roots sniffing accepts (is_einvoice): one list, so a
# format that has a reader is never recorded "unsupported".
_READERS = {
    (CII_D16B.namespaces["rsm"], "CrossIndustryInvoice"): lambda root: read_cii(root, CII_D16B),
    (ZUGFERD1.namespaces["rsm"], "CrossIndustryDocument"): lambda root: read_cii(root, ZUGFERD1),
    (ZUGFERD1_RC.namespaces["rsm"], "Invoice"): lambda root: read_cii(root, ZUGFERD1_RC),
    (UBL_INVOICE, "Invoice"): read_ubl,
    (UBL_CREDIT_NOTE, "CreditNote"): read_ubl,
}
READABLE_ROOTS = frozenset(_READERS)  # (namespace, local name) of every root element we read
_KNOWN_OTHER_FORMATS = {"FatturaElettronica": "FatturaPA"}


class EInvoiceError(ValueError):
    """The XML cannot be read as an e-invoice we support; the message says why."""


def is_einvoice_root(name: tuple[str, str] | None) -> bool:
    return name in _READERS


def is_einvoice(payload: bytes) -> bool:
    """Whether the bytes are XML whose root element one of our readers reads."""
    return is_einvoice_root(root_name(payload))


def invoice_from_xml(data: bytes) -> InvoiceFields:
    root = _parse(data)
    qname = etree.QName(root)
    reader = _READERS.get((qname.namespace or "", qname.localname))
    if reader is None:
        known = _KNOWN_OTHER_FORMATS.get(qname.localname)
        what = known or f"root element {qname.localname!r} in {qname.namespace or 'no namespace'}"
        raise EInvoiceError(f"unsupported e-invoice format: {what}")
    fields = reader(root)
    present = [f.name for f in dataclasses.fields(fields) if _is_value(getattr(fields, f.name))]
    return dataclasses.replace(fields, confidence=dict.fromkeys(present, 1.0))


def invoice_from_pdf(reader: PdfReader) -> InvoiceFields | None:
    """The e-invoice embedded in a hybrid PDF, None for a PDF without one."""
    files = embedded_xml_files(reader)
    for name in PREFERRED_NAMES:
        if name in files:
            return invoice_from_xml(files[name])
    for data in files.values():
        if is_einvoice_root(root_name(data)):
            return invoice_from_xml(data)
    return None


def _parse(data: bytes) -> etree._Element:
    try:
        return parse_xml(data)
    except UnsafeXML as err:
        # Policy: a malformed XML declaration (seen in the wild: encoding="UTF-8-W/O-BOM") is
        # skipped and the document read as UTF-8; any other damage is refused.
        body = _after_bad_declaration(data)
        if body is None:
            raise EInvoiceError(f"unreadable e-invoice: {err}") from err
        try:
            return parse_xml(body)
        except UnsafeXML as retry_err:
            raise EInvoiceError(f"unreadable e-invoice: {retry_err}") from retry_err


def _after_bad_declaration(data: bytes) -> bytes | None:
    text = data.removeprefix(b"\xef\xbb\xbf")
    end = text.find(b"?>", 0, 200)
    if not text.startswith(b"<?xml") or end < 0:
        return None
    declaration = text[: end + 2]
    try:
        parse_xml(declaration + b"<probe/>")
    except UnsafeXML:
        return text[end + 2 :]
    return None  # the declaration is fine: the damage is elsewhere


def _is_value(value: object) -> bool:
    return value is not None and value != () and not isinstance(value, dict)
