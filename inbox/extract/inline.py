"""Images that decorate the mail (logos, signatures, cid: pictures) are not invoices."""

from __future__ import annotations

import re
from urllib.parse import unquote

from inbox.extract.mime import Node

SMALL_INLINE_BYTES = 30 * 1024

_CID = re.compile(r"""cid:([^"'\s>)]+)""", re.IGNORECASE)


def referenced_content_ids(html: str) -> frozenset[str]:
    return frozenset(unquote(match).strip("<>").lower() for match in _CID.findall(html))


def inline_reason(node: Node, detected_type: str, cids: frozenset[str]) -> str:
    """Why this part is a decoration rather than a document, or "" when it is not one."""
    if not (detected_type.startswith("image/") or node.declared_type.startswith("image/")):
        return ""
    if node.content_id and node.content_id.lower() in cids:
        return f"image referenced by the HTML body (cid:{node.content_id})"
    shown_inline = node.disposition == "inline" or node.in_related or not (node.disposition or node.filename)
    if shown_inline and len(node.payload) < SMALL_INLINE_BYTES:
        return f"small inline image ({len(node.payload)} bytes), a logo or signature"
    return ""
