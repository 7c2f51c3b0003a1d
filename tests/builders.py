"""Mails and PDFs built in code, so every fixture states what it contains."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from fpdf import FPDF


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
