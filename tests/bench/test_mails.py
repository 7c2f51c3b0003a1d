"""The bench's distinct invoices: each mail a valid message whose PDF names its own number."""

from __future__ import annotations

import email
import io
from email import policy

import pypdf

from bench.mails import DistinctMails


def _pdf_of(wire: bytes) -> tuple[str, bytes]:
    assert wire.endswith(b"\r\n.\r\n")
    message = email.message_from_bytes(wire[:-3].replace(b"\r\n..", b"\r\n."), policy=policy.default)
    (attachment,) = message.iter_attachments()
    return str(message["Subject"]), attachment.get_content()


def test_every_mail_is_a_distinct_invoice_naming_its_number() -> None:
    mails = DistinctMails(100 * 1024, sender="billing@acme.example", recipient="in@inbox.localhost")
    mails.first = 40
    subjects, pdfs = zip(*(_pdf_of(mails[i]) for i in (0, 1, 2)), strict=True)
    assert subjects == (
        "Invoice INV-2026-000000040",
        "Invoice INV-2026-000000041",
        "Invoice INV-2026-000000042",
    )
    assert len(set(pdfs)) == 3
    assert 90 * 1024 < len(pdfs[0]) < 110 * 1024
    text = pypdf.PdfReader(io.BytesIO(pdfs[2])).pages[0].extract_text()
    assert "INV-2026-000000042" in text
    assert len(mails[0]) == len(mails[1]) == mails.size
