"""Correct a field once, mail the next invoice of that layout: it is read right."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from inbox import teach
from inbox.extract.hints import Hint
from inbox.sandbox import ExtractionPool
from storage.corrections import Edit, apply_edit
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


def correct(store, account, document_id: str, **invoice) -> None:  # noqa: F811
    with store.session() as session:
        apply_edit(
            session=session,
            account_id=account.id,
            document_id=document_id,
            user_email="anna@example.com",
            edit=Edit(invoice=invoice),
        )


def learn_all(store, **pool_options) -> list[Hint | None]:  # noqa: F811
    """What the worker does: claim each correction and learn from it in the extraction pool."""
    options = {"size": 1, "timeout": 60, "memory_mb": 1024, **pool_options}

    async def run():
        pool = ExtractionPool(blobs=store.blobs, **options)
        taught = []
        try:
            while (lesson := teach.claim(store, "test:1:worker", timedelta(minutes=5))) is not None:
                taught.append(await teach.teach(store, pool, lesson))
        finally:
            pool.close()
        return taught

    return asyncio.run(run())


def test_a_correction_teaches_the_next_invoice_of_that_supplier(store, account):  # noqa: F811
    first = mail_invoice(store, account, "VG-1001", "119,00 EUR")
    assert (first.invoice_number, first.total, first.text_source) == (None, None, "pdf")

    correct(store, account, first.id, number="VG-1001", total="119,00", seller="Huber")

    assert learn_all(store) == [Hint("number", "vorgang", "right"), Hint("total", "zu überweisen", "below")]
    second = mail_invoice(store, account, "VG-1002", "238,00 EUR")
    assert (second.invoice_number, second.total) == ("VG-1002", "238.00")


def test_a_value_not_on_the_document_teaches_nothing_and_is_dropped(store, account):  # noqa: F811
    document = mail_invoice(store, account, "VG-2001", "10,00 EUR")
    correct(store, account, document.id, number="NOT-PRINTED")

    assert learn_all(store) == [None]
    assert learn_all(store) == []  # tried once, never again


def test_a_reading_over_its_time_bound_is_dropped(store, account):  # noqa: F811
    document = mail_invoice(store, account, "VG-3001", "10,00 EUR")
    correct(store, account, document.id, number="VG-3001")

    # No reading fits in no time (1 ms was once enough, since children start without the app).
    assert learn_all(store, timeout=0) == [None]
    assert learn_all(store) == []
