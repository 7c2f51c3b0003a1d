"""Files uploaded (browser or API) enter as mail does: wrapped in a small MIME message,
stored as a blob and recorded as a received Message, which the worker then reads exactly
like one that came over SMTP. One path, so uploads get the same parts log, duplicates
check, reprocessing and reliability as mail.

Issue 11's `POST /api/v1/documents` calls `accept_upload` too. (Here, not in `inbox/`, because
`web/` may not import `inbox/`; building a MIME message is not parsing one.)
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from storage.db import Store
from storage.messages import record_received

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
# What the worker can read; anything else would only end as "unsupported" in the log.
ACCEPTED_TYPES = {
    "application/pdf": "pdf",
    "application/xml": "xml",
    "text/xml": "xml",
    "image/png": "png",
    "image/jpeg": "jpeg",
}
SUFFIX_TYPES = {
    ".pdf": "application/pdf",
    ".xml": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


class UploadRefused(ValueError):
    """The file cannot be taken; the message says why, `code` names the reason for callers
    that answer in another language (`empty`, `too_large`, `type`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def accept_upload(store: Store, *, account_id: str, inbox_address: str, uploader: str, upload: Upload) -> str:
    """Makes the upload durable and queued for reading; returns the new message's id."""
    content_type = _checked_type(upload)
    if not upload.data:
        raise UploadRefused("empty", "the file is empty")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise UploadRefused("too_large", f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    raw = _as_mail(upload, content_type, uploader, inbox_address)
    sha256 = store.blobs.put(raw)  # blob first, row second, as for mail
    with store.session() as session:
        (message,) = record_received(
            session=session,
            raw_sha256=sha256,
            raw_size=len(raw),
            envelope_from=uploader,
            envelope_to_by_account={account_id: inbox_address},
        )
        session.flush()
        return message.id


def _checked_type(upload: Upload) -> str:
    declared = upload.content_type.split(";")[0].strip().lower()
    if declared in ACCEPTED_TYPES:
        return declared
    suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    if suffix in SUFFIX_TYPES:
        return SUFFIX_TYPES[suffix]
    raise UploadRefused("type", "only PDF, XML (e-invoices), PNG and JPEG files can be uploaded")


def _as_mail(upload: Upload, content_type: str, uploader: str, inbox_address: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = uploader
    mail["To"] = inbox_address
    mail["Subject"] = f"Upload: {upload.filename}"[:200]
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="upload.invoice-inbox")
    mail["X-Invoice-Inbox-Upload"] = "web"
    maintype, subtype = content_type.split("/")
    mail.add_attachment(upload.data, maintype=maintype, subtype=subtype, filename=upload.filename or "upload")
    return mail.as_bytes()
