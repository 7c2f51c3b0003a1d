"""Files uploaded (browser or API) enter as mail does: wrapped in a small MIME message,
stored as a blob and recorded as a received Message, which the worker then reads exactly
like one that came over SMTP. One path, so uploads get the same parts log, duplicates
check, reprocessing and reliability as mail.

Issue 11's `POST /api/v1/documents` calls `accept_upload` too. (Here, not in `inbox/`, because
`web/` may not import `inbox/`; building a MIME message is not parsing one.)
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from storage.db import Store
from storage.messages import record_received

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
# What the worker can read; anything else would only end as "unsupported" in the log.
SUFFIX_TYPES = {
    ".pdf": "application/pdf",
    ".xml": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


class UploadRefused(ValueError):
    """The file cannot be taken; the message says why, `code` names the reason for callers
    that answer in another language (`empty_file`, `too_large`, `bad_type`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def accept_upload(*, store: Store, account_id: str, filename: str, data: bytes, max_bytes: int) -> str:
    """Makes the upload durable and queued for reading; returns the new message's id.
    (The signature is the integrations branch's, so either module serves both callers.)"""
    content_type = _checked_type(filename)
    if not data:
        raise UploadRefused("empty_file", "the file is empty")
    if len(data) > max_bytes:
        raise UploadRefused("too_large", f"the file has {len(data)} bytes; the limit is {max_bytes}")
    raw = _as_mail(filename, data, content_type)
    sha256 = store.blobs.put(raw)  # blob first, row second, as for mail
    with store.session() as session:
        (message,) = record_received(
            session=session,
            raw_sha256=sha256,
            raw_size=len(raw),
            envelope_from="",
            envelope_to_by_account={account_id: ""},
        )
        session.flush()
        return message.id


def _checked_type(filename: str) -> str:
    """The type to declare, from the name (extraction classifies by content anyway)."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in SUFFIX_TYPES:
        return SUFFIX_TYPES[suffix]
    raise UploadRefused("bad_type", "only PDF, XML (e-invoices), PNG and JPEG files can be uploaded")


def _as_mail(filename: str, data: bytes, content_type: str) -> bytes:
    mail = EmailMessage()
    mail["Subject"] = filename[:200]
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="upload.invoice-inbox")
    mail["X-Invoice-Inbox-Upload"] = "web"
    maintype, subtype = content_type.split("/")
    mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename or "upload")
    return mail.as_bytes()
