"""Content-Disposition for names that came from mail (RFC 6266, RFC 5987)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote


def content_disposition(kind: str, filename: str) -> str:
    name = unicodedata.normalize("NFC", filename) or "document"
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\"')
    fallback = name.encode("ascii", "ignore").decode() or "document"
    fallback = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in fallback)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
