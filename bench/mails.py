"""Invoice mails like an invoicing tool sends: text + HTML body + a real PDF of a given size."""

from __future__ import annotations

import random
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from fpdf import FPDF
from PIL import Image

LINES = [
    "ACME Supplies GmbH - Musterstrasse 1 - 10115 Berlin - VAT DE123456789",
    "INVOICE",
    "Invoice No. INV-2026-{number}    Date 2026-11-02    Due 2026-12-02",
    "Bill to: Example Buyer Ltd, 1 High Street, London",
    "1 x Consulting, November          1,000.00 EUR",
    "2 x Support hours                   200.00 EUR",
    "Net 1,200.00 EUR   VAT 19% 228.00 EUR   Total 1,428.00 EUR",
]


def invoice_pdf(target_size: int) -> bytes:
    return invoice_pdfs(target_size, [1001])[0]


def invoice_pdfs(target_size: int, numbers: list[int]) -> list[bytes]:
    """One-page invoices (distinct bytes per number), padded to about `target_size` bytes
    with a scanned-looking image."""
    plain = _render(0, numbers[0])
    if target_size <= len(plain):
        return [_render(0, n) for n in numbers]
    # A noise image does not compress: its raw RGB bytes are what it adds to the file.
    pixels = (target_size - len(plain)) // 3
    sized = _render(pixels, numbers[0])
    pixels = max(1, pixels - (len(sized) - target_size) // 3)
    return [_render(pixels, n) for n in numbers]


def _render(image_pixels: int, number: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    for line in LINES:
        pdf.cell(0, 8, line.format(number=number), new_x="LMARGIN", new_y="NEXT")
    if image_pixels:
        width = 400
        height = max(1, image_pixels // width)
        noise = random.Random(number).randbytes(width * height * 3)
        pdf.image(Image.frombytes("RGB", (width, height), noise), x=10, y=80, w=120)
    return bytes(pdf.output())


def invoice_mail(pdf: bytes, *, sender: str, recipient: str, number: int = 1001) -> bytes:
    """The mail as it goes on the wire (CRLF line ends), before dot-stuffing."""
    mail = EmailMessage()
    mail["From"] = f"ACME Billing <{sender}>"
    mail["To"] = recipient
    mail["Subject"] = f"Invoice INV-2026-{number}"
    mail["Date"] = formatdate()
    mail["Message-ID"] = f"<inv-{number}@acme.example>"
    mail.set_content(f"Dear customer,\n\nplease find attached invoice INV-2026-{number}.\n\nACME Billing\n")
    mail.add_alternative("<p>Dear customer,</p><p>please find attached <b>invoice</b>.</p>", subtype="html")
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"INV-2026-{number}.pdf")
    return mail.as_bytes(policy=SMTP)


def dot_stuffed(mail: bytes) -> bytes:
    """DATA as sent: dot-stuffed and ended with the end-of-data line."""
    if not mail.endswith(b"\r\n"):
        mail += b"\r\n"
    stuffed = mail.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b".\r\n"
