"""Content detection: magic bytes decide, the declared Content-Type is only a hint."""

from __future__ import annotations

PDF = "application/pdf"
ZIP = "application/zip"
XML = "application/xml"
TNEF = "application/ms-tnef"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
WEBP = "image/webp"
GIF = "image/gif"
OCTET_STREAM = "application/octet-stream"

DOCUMENT_IMAGES = frozenset({JPEG, PNG, TIFF, WEBP})

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),  # an empty archive
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"\x78\x9f\x3e\x22", TNEF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls, .msg
    (b"\x1f\x8b", "application/gzip"),
    (b"MZ", "application/x-msdownload"),
    (b"BEGIN:VCALENDAR", "text/calendar"),
)

EXTENSIONS = {
    PDF: "pdf",
    ZIP: "zip",
    XML: "xml",
    TNEF: "dat",
    JPEG: "jpg",
    PNG: "png",
    TIFF: "tif",
    WEBP: "webp",
    GIF: "gif",
    "image/jpg": "jpg",  # not a registered type, but common
    "text/plain": "txt",
    "text/html": "html",
    "text/calendar": "ics",
}


def detect_type(payload: bytes) -> str:
    """Return a MIME type for what the bytes really are, or "application/octet-stream"."""
    head = payload[:1024]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    # PDF readers accept a header anywhere in the first KiB; so do we, once no format that
    # may carry a PDF inside it (ZIP, TNEF) has matched at offset 0.
    if b"%PDF-" in head:
        return PDF
    if _looks_like_xml(head):
        return XML
    return _text_type(head)


def _looks_like_xml(head: bytes) -> bool:
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"<?xml"):
        return True
    # A bare root element; HTML is told apart by its usual openings.
    return start[:1] == b"<" and start[1:2].isalpha() and start[:5].lower() != b"<html"


def _text_type(head: bytes) -> str:
    if not head or b"\x00" in head:
        return OCTET_STREAM
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a character cut at the end of the sample
            return OCTET_STREAM
        text = head[: err.start].decode("utf-8")
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return "text/html"
    return "text/plain" if all(ch.isprintable() or ch.isspace() for ch in text) else OCTET_STREAM


def extension_for(detected: str, declared: str) -> str:
    """Extension for a generated name: specific content first, then the declared type."""
    generic = detected in (OCTET_STREAM, "text/plain")
    specific = EXTENSIONS.get(declared) if generic else EXTENSIONS.get(detected)
    return specific or EXTENSIONS.get(declared) or EXTENSIONS.get(detected) or "bin"
