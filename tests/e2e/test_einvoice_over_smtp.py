"""A real Factur-X invoice from the corpus, mailed as an invoicing tool would, read on the API."""

from __future__ import annotations

import email.policy
import smtplib

import pytest

from tests.builders import make_mail
from tests.service import Service, wait_for

# E-invoice reading: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def test_facturx_pdf_mailed_as_octet_stream_shows_its_invoice_fields(service: Service, corpus):
    pdf = (corpus / "einvoices" / "pdf" / "facturx_MINIMUM_Facture_FR_FNFE.pdf").read_bytes()
    account = service.create_account("Au bon client", "compta@client.example")
    mail = make_mail(
        to=account.inbox_address,
        subject="Votre facture FA-2017-0010",
        attachments=[("Facture n°FA-2017-0010 – Société.pdf", pdf, "application/octet-stream")],
    )
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail(
            "factures@moulin.example", [account.inbox_address], mail.as_bytes(policy=email.policy.SMTP)
        )

    client = service.client(account)
    (doc,) = wait_for(lambda: client.get("/api/documents").json()["items"])

    assert doc["filename"] == "Facture n°FA-2017-0010 – Société.pdf"
    assert doc["text_source"] == "pdf"  # the fields come from the XML, the searchable text from the page
    invoice = doc["invoice"]
    assert invoice["source"] == "xml"
    assert (invoice["number"], invoice["issue_date"], invoice["seller"]) == (
        "FA-2017-0010",
        "2017-11-13",
        "Au bon moulin",
    )
    assert (invoice["total"], invoice["currency"]) == ("671.15", "EUR")
