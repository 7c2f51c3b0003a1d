"""Mails and PDFs built in code, so every fixture states what it contains (and, for accept,
spooled as SMTP leaves them)."""

from __future__ import annotations

import hashlib
import io
import os
import random
import struct
import tempfile
import zipfile
import zlib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from inbox.spool import SpooledMessage
from inbox.testpdf import pdf_file


def make_pdf(lines: list[str] | None = None, pages: int = 1) -> bytes:
    """A real, readable PDF with a text layer."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    lines = lines or ["INVOICE", "Invoice No. INV-1001", "Total: 119.00 EUR"]
    for page in range(pages):
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
        if pages > 1:
            pdf.cell(0, 10, f"Page {page + 1} of {pages}")
    return bytes(pdf.output())


def make_mail(
    *,
    to: str = "inbox@inbox.localhost",
    sender: str = "Billing <billing@supplier.example>",
    subject: str = "Invoice INV-1001",
    text: str = "Please find attached our invoice.",
    html: str | None = "<p>Please find attached our <b>invoice</b>.</p>",
    attachments: list[tuple[str, bytes, str]] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A multipart mail like an invoicing tool sends: text + HTML body + attachments.

    `attachments` holds (filename, bytes, mime type) triples.
    """
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id or make_msgid(domain="supplier.example")
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for filename, payload, mime in attachments or []:
        maintype, _, subtype = mime.partition("/")
        mail.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return mail


def make_image(fmt: str = "PNG", *, size: tuple[int, int] = (8, 8), noisy: bool = False) -> bytes:
    """A real image; `noisy` makes it incompressible, so its size in bytes follows `size`."""
    image = Image.new("RGB", size, "white")
    if noisy:
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


EINVOICE_ROOTS = {
    "ubl": ("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "Invoice"),
    "ubl-credit-note": ("urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "CreditNote"),
    "cii": ("urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100", "CrossIndustryInvoice"),
    "zugferd1": ("urn:ferd:CrossIndustryDocument:invoice:1p0", "CrossIndustryDocument"),
}


def make_einvoice_xml(syntax: str = "ubl", number: str = "INV-1001") -> bytes:
    """A minimal XML document with the root element of an e-invoice syntax."""
    namespace, root = EINVOICE_ROOTS[syntax]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{namespace}"><ID>{number}</ID></{root}>'
    ).encode()


def make_zip(entries: list[tuple[str, bytes]], *, encrypted: tuple[str, ...] = ()) -> bytes:
    """A ZIP archive; entries named in `encrypted` carry the encryption flag (zipfile cannot
    write encrypted entries, and the flag is all a reader sees before it needs a password)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in entries:
            archive.writestr(name, payload)
    data = bytearray(out.getvalue())
    for name in encrypted:
        _set_encrypted_flag(data, name.encode())
    return bytes(data)


def _set_encrypted_flag(data: bytearray, name: bytes) -> None:
    # Local header: flags at offset 6, name at 30; central directory: flags at 8, name at 46.
    for signature, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = data.find(signature)
        while start != -1:
            if data[start + name_at : start + name_at + len(name)] == name:
                data[start + flags_at] |= 0x01
            start = data.find(signature, start + 4)


def make_tnef(files: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat stream (MS-OXTNEF) holding `files` as attachments."""
    stream = struct.pack("<IH", 0x223E9F78, 0)
    for name, payload in files:
        stream += _tnef_attribute(0x9002, 0x0006, bytes(14))  # attRenddata opens an attachment
        stream += _tnef_attribute(0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        stream += _tnef_attribute(0x800F, 0x0006, payload)  # attAttachData
    return stream


def _tnef_attribute(name: int, kind: int, payload: bytes) -> bytes:
    header = struct.pack("<BHHI", 0x02, name, kind, len(payload))
    return header + payload + struct.pack("<H", sum(payload) & 0xFFFF)


def forward(inner: EmailMessage, *, text: str = "See the forwarded mail.") -> EmailMessage:
    """A mail that carries `inner` as a message/rfc822 attachment."""
    outer = make_mail(subject=f"Fwd: {inner['Subject']}", text=text, html=None)
    outer.add_attachment(inner)
    return outer


def spooled(directory: Path, raw: bytes) -> SpooledMessage:
    """Raw mail bytes as SpoolingSMTP leaves them for accept: a file in the spool directory."""
    fd, name = tempfile.mkstemp(dir=directory, prefix="data-")
    with os.fdopen(fd, "wb") as out:
        out.write(raw)
    return SpooledMessage(path=Path(name), size=len(raw), sha256=hashlib.sha256(raw).hexdigest())


def make_slow_pdf(pages: int = 50, operators: int = 400_000) -> bytes:
    """A small PDF that is slow to read: every page shares one content stream of `operators`
    empty text objects (the defaults: about 2 KB, a minute of text extraction)."""
    return _pages_sharing_one_stream(zlib.compress(b"BT ET\n" * operators, 9), pages)


def make_inflating_pdf(decoded_mb: int) -> bytes:
    """A small PDF (300 MiB: about 450 KB) whose one page's content stream inflates to
    `decoded_mb` MiB: reading it exceeds a smaller memory bound."""
    deflate = zlib.compressobj(9)
    content = deflate.compress(b"BT ET\n" * (decoded_mb * 1024 * 1024 // 6)) + deflate.flush()
    return _pages_sharing_one_stream(content, pages=1)


def _pages_sharing_one_stream(content: bytes, pages: int) -> bytes:
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    kids = " ".join(f"{4 + n} 0 R" for n in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources " + font + b" >>"]
        * pages,
    ]
    return pdf_file(objects)
