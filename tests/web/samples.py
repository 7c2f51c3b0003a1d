"""Mails a web test sends: real PDFs with invoice facts, an e-invoice, an image."""

from __future__ import annotations

import email.policy
import smtplib

from tests.builders import make_image, make_mail, make_pdf
from tests.inbox.test_einvoice import cii
from tests.invoicegen import generate
from tests.service import Account, Service


def send(service: Service, mail, *, sender: str = "billing@supplier.example") -> dict:
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:
        return client.sendmail(sender, [mail["To"]], mail.as_bytes(policy=email.policy.SMTP))


def send_samples(service: Service, account: Account) -> int:
    """A small realistic inbox: three PDF invoices (FR, DE, EN), an e-invoice and a scan.

    Returns the number of documents it should produce.
    """
    for seed, sender in ((3, "factures@dupont.example"), (5, "rechnung@mueller.example"),
                         (8, "billing@acme.example")):  # fmt: skip
        invoice = generate(seed)
        mail = make_mail(
            to=account.inbox_address,
            sender=f"{invoice.seller} <{sender}>",
            subject=f"Invoice {invoice.number}",
            attachments=[(f"{invoice.number}.pdf", invoice.pdf, "application/pdf")],
        )
        send(service, mail, sender=sender)
    xml_mail = make_mail(
        to=account.inbox_address,
        sender="Atelier Dupont <rechnung@dupont-fils.example>",
        subject="Facture FA-2024-0042",
        attachments=[("xrechnung.xml", cii(), "application/xml")],
    )
    send(service, xml_mail, sender="rechnung@dupont-fils.example")
    scan = make_mail(
        to=account.inbox_address,
        sender="Office <office@taxi.example>",
        subject="Receipt",
        attachments=[("receipt.png", make_image(size=(300, 420)), "image/png")],
    )
    send(service, scan, sender="office@taxi.example")
    plain = make_mail(
        to=account.inbox_address,
        subject="Scan of the lease",
        attachments=[("lease.pdf", make_pdf(["Lease agreement", "Page one"]), "application/pdf")],
    )
    send(service, plain)
    return 6
