"""The only way untrusted XML is parsed: no entities, no DTD, no network, bounded size."""

from __future__ import annotations

from lxml import etree

MAX_XML_BYTES = 20 * 1024 * 1024


class UnsafeXML(ValueError):
    """The bytes are not XML we are willing to read."""


def parse_xml(data: bytes) -> etree._Element:
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXML(f"XML larger than {MAX_XML_BYTES} bytes")
    # Whitespace before the XML declaration is an error to the parser, but senders' tools write
    # it (and a BOM before it); the document is the same without it.
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as err:
        raise UnsafeXML(f"not well-formed XML: {err}") from err
    # A DOCTYPE is never part of an e-invoice; refusing it closes XXE and entity bombs.
    if root.getroottree().docinfo.doctype:
        raise UnsafeXML("XML with a DOCTYPE declaration is refused")
    return root


def root_name(data: bytes) -> tuple[str, str] | None:
    """(namespace, local name) of the root element, or None if the bytes are not safe XML."""
    try:
        root = parse_xml(data)
    except UnsafeXML:
        return None
    qname = etree.QName(root)
    return (qname.namespace or "", qname.localname)
