"""The mail-parser adapter: raw bytes in, headers and a flat list of MIME leaves out.

mail-parser gives decoded headers and defects; its `message` (a stdlib Message) gives the
tree, which we walk ourselves so every leaf keeps its path ("1.2") for the processing log.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message

import mailparser


@dataclass(frozen=True, slots=True)
class Leaf:
    path: str
    declared_type: str
    filename: str  # safe display name, may be "" when the mail gives none
    disposition: str  # "attachment", "inline" or ""
    content_id: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class ParsedMail:
    sender: str
    subject: str
    message_id: str
    date: datetime | None
    leaves: tuple[Leaf, ...]
    defects: tuple[str, ...]


def parse_mail(raw: bytes) -> ParsedMail:
    parsed = mailparser.parse_from_bytes(raw)
    message = parsed.message
    return ParsedMail(
        sender=_sender(parsed),
        subject=clean_text(parsed.subject or ""),
        message_id=clean_text(parsed.message_id or "").strip(),
        date=parsed.date if isinstance(parsed.date, datetime) else None,
        leaves=tuple(_walk(message, "")),
        defects=tuple(sorted({str(d.get("defect_type", d)) for d in parsed.defects or []})),
    )


def _sender(parsed: mailparser.MailParser) -> str:
    for name, address in parsed.from_ or []:
        if address:
            return clean_text(f"{name} <{address}>" if name else address)
    return ""


def _walk(part: Message, path: str):
    if part.is_multipart():
        children = part.get_payload()
        if isinstance(children, list):
            for index, child in enumerate(children, start=1):
                if isinstance(child, Message):
                    yield from _walk(child, f"{path}.{index}" if path else str(index))
        return
    yield Leaf(
        path=path or "1",
        declared_type=part.get_content_type(),
        filename=safe_filename(_filename(part)),
        disposition=(part.get_content_disposition() or ""),
        content_id=(part.get("Content-ID") or "").strip().strip("<>"),
        payload=_payload(part),
    )


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # a malformed header parameter means "no usable name"
        return ""
    if isinstance(name, tuple):  # undecodable RFC 2231 triple
        name = name[2]
    return clean_text(str(name))


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    text = part.get_payload()
    return text.encode("utf-8", "surrogateescape") if isinstance(text, str) else b""


def clean_text(value: object) -> str:
    """Decode leftover RFC 2047 words, normalise to NFC, drop control characters."""
    if isinstance(value, list | tuple):  # mail-parser returns lists for repeated headers
        value = " ".join(map(str, value))
    value = str(value)
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except Exception:  # keep the undecoded text rather than nothing
            pass
    value = unicodedata.normalize("NFC", value)
    return "".join(ch if ch.isprintable() else " " for ch in value).strip()


def safe_filename(name: str) -> str:
    """A display name that can never act as a path: the last path segment, printable only."""
    name = clean_text(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip(" .")
    return name[:200]
