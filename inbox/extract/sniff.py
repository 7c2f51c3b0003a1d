"""Content detection: magic bytes decide, the declared Content-Type is only a hint."""

from __future__ import annotations

PDF = "application/pdf"


def detect_type(payload: bytes) -> str:
    """Return a MIME type for what the bytes really are, or "application/octet-stream"."""
    head = payload[:1024]
    # PDF readers accept a header anywhere in the first KiB; so do we.
    if b"%PDF-" in head:
        return PDF
    return "application/octet-stream"
