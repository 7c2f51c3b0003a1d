"""Uploads: a file sent through the API or the web becomes a mail whose source is `upload`.

Wrapping the file in a message keeps one path for everything that comes in: the worker
extracts it like mail, records it with a per-part log, counts it against the plan, and
`inbox reprocess` works on it. The API route (web/api/uploads.py) and the web's upload
button both call `accept_upload`; the caller wakes the worker.
"""

from __future__ import annotations

import re
import unicodedata
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from storage.db import Store
from storage.errors import StorageError
from storage.models import Message, utcnow
from storage.usage import OverQuota, documents_over_quota

SOURCE = "upload"
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # the web page's limit (the API uses INBOX_MAX_MESSAGE_BYTES)
MAX_FILENAME_CHARS = 200


class UploadRefused(StorageError):
    """The upload cannot be taken; `code` is machine-readable, the message names the problem."""

    def __init__(self, code: str, message: str, over: OverQuota | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.over = over


def accept_upload(*, store: Store, account_id: str, filename: str, data: bytes, max_bytes: int) -> str:
    """Store the file as a received message of the account; returns the message id.

    The blob is durable before its row is committed (blob first, row second).
    """
    if not data:
        raise UploadRefused("empty_file", "the file is empty")
    if len(data) > max_bytes:
        raise UploadRefused("too_large", f"the file has {len(data)} bytes; the limit is {max_bytes}")
    name = display_filename(filename)
    with store.session() as session:
        over = documents_over_quota(session=session, account_id=account_id, adding_bytes=len(data))
    if over is not None:
        raise UploadRefused("quota_exceeded", f"the plan's {over.what} are used up", over)
    raw = _as_message(name, data)
    sha256 = store.blobs.put(raw)
    with store.session() as session:
        message = Message(
            account_id=account_id,
            raw_sha256=sha256,
            raw_size=len(raw),
            source=SOURCE,
            subject=name,
            received_at=utcnow(),
        )
        session.add(message)
        session.flush()
        return message.id


def display_filename(filename: str) -> str:
    """The name as data: the last component of whatever path a browser sent, printable, bounded."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    return name.strip()[:MAX_FILENAME_CHARS] or "upload"


def _as_message(filename: str, data: bytes) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = filename
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="upload.invalid")
    # The type is a hint only: extraction classifies by content.
    message.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return message.as_bytes()
