"""Invoice mails like an invoicing tool sends: text + HTML body + a real PDF of a given size."""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from functools import partial
from typing import overload

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


def _render(image_pixels: int, number: int | str, *, compress: bool = True) -> bytes:
    pdf = FPDF()
    pdf.set_compression(compress)
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


def invoice_mail(pdf: bytes, *, sender: str, recipient: str, number: int | str = 1001) -> bytes:
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


# Every mail of a run is a distinct invoice, made from one template by rewriting its number in
# place: a fixed-width number keeps every byte offset (the PDF's xref table, the base64 lines).
NUMBER_WIDTH = 9
PLACEHOLDER = "9" * NUMBER_WIDTH
BASE64_LINE = 57  # bytes of attachment per 76-character base64 line (email.policy.SMTP)


class DistinctMails(Sequence[bytes]):
    """Dot-stuffed invoice mails, number i the i-th distinct invoice (own number, own PDF bytes),
    each built on demand by splicing the number into a template: a few copies, no rendering."""

    def __init__(self, pdf_size: int, *, sender: str, recipient: str, first: int = 1) -> None:
        self.first = first
        pdf = _sized_template(pdf_size)
        wire = dot_stuffed(invoice_mail(pdf, sender=sender, recipient=recipient, number=PLACEHOLDER))
        body = wire.index(base64.b64encode(pdf[:BASE64_LINE]))
        self._pieces: list[bytes | Callable[[bytes], bytes]] = []
        cuts: list[tuple[int, int, Callable[[bytes], bytes]]] = []
        mark = PLACEHOLDER.encode()
        for match in re.finditer(re.escape(mark), wire[:body]):  # headers and text parts
            cuts.append((match.start(), match.end(), lambda number: number))
        lines = {m.start() // BASE64_LINE for m in re.finditer(re.escape(mark), pdf)}
        lines |= {(m.end() - 1) // BASE64_LINE for m in re.finditer(re.escape(mark), pdf)}
        for line in sorted(lines):
            start = body + line * (BASE64_LINE // 3 * 4 + 2)  # 76 characters and CRLF
            chunk = pdf[line * BASE64_LINE : (line + 1) * BASE64_LINE]
            cuts.append((start, start + len(base64.b64encode(chunk)), partial(_encoded, chunk, mark)))
        if not lines:
            raise RuntimeError("the invoice number is not in the PDF's bytes: compression on?")
        at = 0
        for start, end, piece in sorted(cuts, key=lambda cut: cut[0]):
            self._pieces += [wire[at:start], piece]
            at = end
        self._pieces.append(wire[at:])
        self.size = len(wire)

    def __len__(self) -> int:
        return 10**NUMBER_WIDTH - self.first - 1

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        number = f"{self.first + index:0{NUMBER_WIDTH}d}".encode()
        return b"".join(p if isinstance(p, bytes) else p(number) for p in self._pieces)


def _sized_template(target_size: int) -> bytes:
    """An uncompressed-text invoice carrying the placeholder number, about `target_size` bytes."""
    plain = _render(0, PLACEHOLDER, compress=False)
    if target_size <= len(plain):
        return plain
    pixels = (target_size - len(plain)) // 3
    sized = _render(pixels, PLACEHOLDER, compress=False)
    pixels = max(1, pixels - (len(sized) - target_size) // 3)
    return _render(pixels, PLACEHOLDER, compress=False)


def _encoded(chunk: bytes, mark: bytes, number: bytes) -> bytes:
    return base64.b64encode(chunk.replace(mark, number))
