"""The mail-parser adapter: raw bytes in, headers and a flat, pre-ordered list of MIME nodes out.

mail-parser gives decoded headers and defects; its `message` (a stdlib Message) gives the
tree, which we walk ourselves so every node keeps its path ("1.2") for the processing log.
Paths follow IMAP numbering: a single-part mail's body is "1", a multipart root is "0".
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import email
import quopri
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from enum import StrEnum

import mailparser

MAX_FORWARD_DEPTH = 3  # message/rfc822 inside message/rfc822 ... opened at most this deep


class Structure(StrEnum):
    LEAF = "leaf"
    MULTIPART = "multipart"
    FORWARDED = "forwarded"  # a message/rfc822 part whose children follow
    TOO_DEEP = "too_deep"  # a message/rfc822 part beyond MAX_FORWARD_DEPTH, kept as a leaf


@dataclass(frozen=True, slots=True)
class Node:
    path: str
    structure: Structure
    declared_type: str
    filename: str  # safe display name, may be "" when the mail gives none
    disposition: str  # "attachment", "inline" or ""
    content_id: str
    charset: str
    in_related: bool  # a direct child of multipart/related
    payload: bytes  # transfer-decoded content of a leaf; b"" for containers
    note: str = ""  # what a container is, e.g. the forwarded message's subject


@dataclass(frozen=True, slots=True)
class ParsedMail:
    sender: str
    subject: str
    message_id: str
    date: datetime | None
    nodes: tuple[Node, ...]
    defects: tuple[str, ...]


def parse_mail(raw: bytes) -> ParsedMail:
    try:
        parsed = mailparser.parse_from_bytes(raw)
    except MemoryError:  # not a property of the mail: the caller's memory bound decides
        raise
    except Exception as err:  # mail-parser gave up; the stdlib tree may still be usable
        return _stdlib_only(raw, f"mail-parser: {type(err).__name__}: {err}"[:300])
    return ParsedMail(
        sender=_sender(parsed),
        subject=clean_text(parsed.subject or ""),
        message_id=clean_text(parsed.message_id or "").strip(),
        date=parsed.date if isinstance(parsed.date, datetime) else None,
        nodes=tuple(_walk(parsed.message, "", 0, in_related=False)),
        defects=_defects(parsed.defects or []),
    )


def _stdlib_only(raw: bytes, defect: str) -> ParsedMail:
    try:
        message = email.message_from_bytes(raw)
        nodes = tuple(_walk(message, "", 0, in_related=False))
        subject = clean_text(message.get("Subject", ""))
    except MemoryError:
        raise
    except Exception:  # nothing parsable: keep the whole mail as one unsupported part
        nodes = (_raw_node("1", "message/rfc822", raw, Structure.LEAF),)
        subject = ""
    return ParsedMail(sender="", subject=subject, message_id="", date=None, nodes=nodes, defects=(defect,))


def _sender(parsed: mailparser.MailParser) -> str:
    for name, address in parsed.from_ or []:
        if address:
            return clean_text(f"{name} <{address}>" if name else address)
    return ""


def _defects(found: list) -> tuple[str, ...]:
    """mail-parser reports {"part type": ["Defect: text", ...]}; flatten to readable lines."""
    lines: set[str] = set()
    for entry in found:
        if isinstance(entry, dict):
            for where, items in entry.items():
                for item in items if isinstance(items, list) else [items]:
                    lines.add(clean_text(f"{where}: {item}")[:300])
        else:
            lines.add(clean_text(entry)[:300])
    return tuple(sorted(lines))


def _child(path: str, index: int) -> str:
    return f"{path}.{index}" if path else str(index)


def _walk(part: Message, path: str, depth: int, *, in_related: bool) -> Iterator[Node]:
    ctype = part.get_content_type()
    children = part.get_payload() if part.is_multipart() else None
    if ctype in ("message/rfc822", "message/global"):
        inner = _forwarded(part, children)
        if depth >= MAX_FORWARD_DEPTH or inner is None:
            structure = Structure.TOO_DEEP if inner is not None else Structure.LEAF
            yield _node(part, path or "1", structure, in_related)
            return
        subject = clean_text(inner.get("Subject", ""))
        yield _node(part, path or "0", Structure.FORWARDED, in_related, subject)
        yield from _walk(inner, _child(path, 1), depth + 1, in_related=False)
        return
    if ctype.startswith("multipart/") and isinstance(children, list):
        yield _node(part, path or "0", Structure.MULTIPART, in_related)
        for index, child in enumerate(children, start=1):
            if isinstance(child, Message):
                yield from _walk(child, _child(path, index), depth, in_related=ctype == "multipart/related")
        return
    yield _node(part, path or "1", Structure.LEAF, in_related)


def _forwarded(part: Message, children: object) -> Message | None:
    inner = children[0] if isinstance(children, list) and children else None
    if not isinstance(inner, Message):
        return None
    # The stdlib parses message/rfc822 without undoing a (forbidden but common) base64/QP
    # transfer encoding: the encoded text lands in the inner body. Decode and parse again.
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte in ("base64", "quoted-printable") and not inner.keys():
        encoded = _as_bytes(inner)
        try:
            data = base64.b64decode(encoded) if cte == "base64" else quopri.decodestring(encoded)
        except (binascii.Error, ValueError):
            return inner
        return email.message_from_bytes(data)
    return inner


def _node(part: Message, path: str, structure: Structure, in_related: bool, note: str = "") -> Node:
    leaf = structure in (Structure.LEAF, Structure.TOO_DEEP)
    return Node(
        path=path,
        structure=structure,
        declared_type=part.get_content_type(),
        filename=safe_filename(_filename(part)),
        disposition=_disposition(part),
        content_id=clean_text(part.get("Content-ID") or "").strip("<> ") if leaf else "",
        charset=_charset(part) if leaf else "",
        in_related=in_related,
        payload=_payload(part) if leaf else b"",
        note=note,
    )


def _raw_node(path: str, declared_type: str, raw: bytes, structure: Structure) -> Node:
    return Node(path, structure, declared_type, "", "", "", "", False, raw)


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").strip().lower()
    except Exception:  # an unparsable header is the same as none
        return ""


def _charset(part: Message) -> str:
    try:
        return str(part.get_content_charset() or "")
    except Exception:
        return ""


def _filename(part: Message) -> str:
    # Raw 8-bit parameter bytes reach us as surrogates, which the stdlib turns into U+FFFD
    # when it reads a parameter; repair the raw header values first, then let it parse them.
    headers = Message()
    for key, value in part.raw_items():
        if key.lower() in ("content-type", "content-disposition") and isinstance(value, str):
            headers[key] = _undo_surrogates(value)
    try:
        name = headers.get_filename() or headers.get_param("name") or ""
    except Exception:  # a malformed header parameter means "no usable name"
        return ""
    if isinstance(name, tuple):  # undecodable RFC 2231 triple
        name = name[2]
    return clean_text(str(name))


def _payload(part: Message) -> bytes:
    if part.is_multipart():  # message/delivery-status and friends: keep their bytes
        return b"\n".join(_as_bytes(p) for p in part.get_payload() if isinstance(p, Message))
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    text = part.get_payload()
    return text.encode("utf-8", "surrogateescape") if isinstance(text, str) else b""


def _as_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except Exception:  # the stdlib cannot re-serialise some broken parts; keep the body text
        body = message.get_payload()
        return body.encode("utf-8", "surrogateescape") if isinstance(body, str) else b""


def decode_body(payload: bytes, charset: str) -> str:
    """Text of a body part: the declared charset if it fits, else UTF-8, else Windows-1252."""
    for candidate in (charset, "utf-8"):
        if candidate and _known_codec(candidate):
            try:
                return payload.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    return payload.decode("cp1252", "replace")


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL byte in the declared name
        return False
    return True


def _undo_surrogates(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogates: read them as UTF-8, else Windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def clean_text(value: object) -> str:
    """Decode leftover RFC 2047 words, normalise to NFC, drop control characters."""
    if isinstance(value, list | tuple):  # mail-parser returns lists for repeated headers
        value = " ".join(map(str, value))
    value = str(value)
    if "=?" in value:
        with contextlib.suppress(Exception):  # keep the undecoded text rather than nothing
            value = str(make_header(decode_header(value)))
    value = unicodedata.normalize("NFC", value)
    return "".join(ch if ch.isprintable() else " " for ch in value).strip()


def safe_filename(name: str) -> str:
    """A display name that can never act as a path: the last path segment, printable only."""
    name = clean_text(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip(" .")
    return name[:200]
