"""Images that decorate the mail (logos, signatures, cid: pictures) are not invoices."""

from __future__ import annotations

import io
import re
import warnings
from urllib.parse import unquote

from PIL import Image

from inbox.extract.mime import Node

SMALL_INLINE_BYTES = 30 * 1024
# Below this on its longest side no page of an invoice is legible: icons, logos, signatures
# (Outlook attaches those as image001.jpg files, so attached images are measured too).
MIN_INVOICE_PIXELS = 400

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
    size = pixel_size(node.payload)
    if size and max(size) < MIN_INVOICE_PIXELS:
        return f"image of {size[0]}×{size[1]} px, too small to be an invoice (an icon, logo or signature)"
    return ""


def pixel_size(payload: bytes) -> tuple[int, int] | None:
    """Width and height from the image header (nothing is decoded), None when unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a huge size is an answer here, not a threat
            with Image.open(io.BytesIO(payload)) as image:
                return image.size
    except Exception:  # noqa: BLE001 -- an unreadable header means "size unknown"
        return None
