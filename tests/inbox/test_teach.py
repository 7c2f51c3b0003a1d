"""Correct a field once, mail the next invoice of that layout: it is read right."""

from __future__ import annotations

from decimal import Decimal

from inbox.extract.hints import Hint
from inbox.teach import teach
from tests.builders import make_mail
from tests.inbox.test_hints import pdf_invoice
from tests.inbox.test_pipeline import account, deliver, documents, process_all, raw, store  # noqa: F401

SUPPLIER = "Werkstatt Huber <Rechnung@Huber.example>"


def mail_invoice(store, account, reference: str, amount: str):  # noqa: F811
    pdf = pdf_invoice(reference, amount)
    mail = make_mail(sender=SUPPLIER, attachments=[(f"{reference}.pdf", pdf, "application/pdf")])
    deliver(store, account, raw(mail))
    process_all(store)
    (document,) = [d for d in documents(store) if d.filename == f"{reference}.pdf"]
    return document


def test_a_correction_teaches_the_next_invoice_of_that_supplier(store, account):  # noqa: F811
    first = mail_invoice(store, account, "VG-1001", "119,00 EUR")
    assert (first.invoice_number, first.total, first.text_source) == (None, None, "pdf")

    taught = [
        teach(store, account.id, first.id, "number", "VG-1001"),
        teach(store, account.id, first.id, "total", Decimal("119.00")),
    ]

    assert taught == [Hint("number", "vorgang", "right"), Hint("total", "zu überweisen", "below")]
    second = mail_invoice(store, account, "VG-1002", "238,00 EUR")
    assert (second.invoice_number, second.total) == ("VG-1002", "238.00")


def test_a_value_not_on_the_document_teaches_nothing(store, account):  # noqa: F811
    document = mail_invoice(store, account, "VG-2001", "10,00 EUR")

    assert teach(store, account.id, document.id, "number", "NOT-PRINTED") is None
    assert teach(store, account.id, document.id, "seller", "Huber") is None
