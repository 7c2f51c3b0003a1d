"""`inbox send-test`: send a realistic invoice mail, as an invoicing tool's automation would."""

from __future__ import annotations

import email.policy
import smtplib
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from inbox.testpdf import invoice_pdf


def build_test_invoice(*, to: str, sender: str, attach: Path | None = None) -> EmailMessage:
    today = date.today()
    number = f"INV-{today:%Y%m%d}-{make_msgid()[1:7]}"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = f"Invoice {number} from Acme Supplies Ltd"
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain="acme-supplies.example")
    mail.set_content(
        f"Hello,\n\nplease find attached invoice {number}.\n\nKind regards,\nAcme Supplies Ltd\n"
    )
    mail.add_alternative(
        f"<p>Hello,</p><p>please find attached invoice <b>{number}</b>.</p>"
        "<p>Kind regards,<br>Acme Supplies Ltd</p>",
        subtype="html",
    )
    if attach is not None:
        mail.add_attachment(
            attach.read_bytes(),
            maintype="application",
            subtype="octet-stream",
            filename=attach.name,
        )
    else:
        pdf = invoice_pdf(
            [
                "Acme Supplies Ltd",
                "1 Market Street, London",
                "",
                "INVOICE",
                f"Invoice No.: {number}",
                f"Invoice date: {today.isoformat()}",
                "",
                "1 x Paper, A4, 5 boxes          100.00 EUR",
                "1 x Toner cartridge              50.00 EUR",
                "Net total: 150.00 EUR",
                "VAT 20%: 30.00 EUR",
                "Amount due: 180.00 EUR",
            ]
        )
        mail.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{number}.pdf")
    return mail


class SendError(Exception):
    """The server refused the mail; the message carries its reply."""


def send(mail: EmailMessage, *, host: str, port: int) -> str:
    """Send over SMTP and return the server's reply to DATA ("250 2.0.0 Ok: queued as ...")."""
    with smtplib.SMTP(host, port, timeout=60) as client:
        client.ehlo("send-test.invoice-inbox")
        client.mail(mail["From"])
        code, text = client.rcpt(mail["To"])
        if code != 250:
            raise SendError(f"RCPT refused: {code} {text.decode(errors='replace')}")
        # smtplib leaves bytes as they are: the policy gives the CRLF line ends SMTP requires.
        code, text = client.data(mail.as_bytes(policy=email.policy.SMTP))
        if code != 250:
            raise SendError(f"DATA refused: {code} {text.decode(errors='replace')}")
    return f"{code} {text.decode(errors='replace')}"
