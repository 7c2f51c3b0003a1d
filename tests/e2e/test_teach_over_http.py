"""A correction teaches, over real SMTP and HTTP against `inbox serve`: a supplier prints its
invoice number and total under labels the reader does not know; the user corrects the first
invoice in the web form and through the API, and the next invoice of that layout is read right."""

from __future__ import annotations

import pytest

from tests.builders import make_mail
from tests.e2e.test_working_day import by_name, csrf
from tests.inbox.test_hints import pdf_invoice
from tests.service import Service, wait_for
from tests.web.samples import send

pytestmark = pytest.mark.store_agnostic  # what is tested is the web, the worker and the pool
SUPPLIER = "rechnung@huber.example"


def mail_invoice(service: Service, account, client, reference: str, amount: str) -> dict:
    mail = make_mail(
        to=account.inbox_address,
        sender=f"Werkstatt Huber <{SUPPLIER}>",
        subject=f"Vorgang {reference}",
        attachments=[(f"{reference}.pdf", pdf_invoice(reference, amount), "application/pdf")],
    )
    send(service, mail, sender=SUPPLIER)
    name = f"{reference}.pdf"
    wait_for(lambda: any(d["filename"] == name for d in client.get("/api/v1/documents").json()["items"]), 60)
    return by_name(client, name)


def test_a_correction_in_the_web_teaches_the_next_invoice_of_that_layout(tmp_path):
    service = Service(data_dir=tmp_path / "data").start()
    try:
        account = service.create_account("Müller GmbH", "anna@mueller.example")
        client = service.client(account)
        first = mail_invoice(service, account, client, "VG-1001", "119,00 EUR")
        assert first["invoice"] is None or (first["invoice"]["number"], first["invoice"]["total"]) == (
            None,
            None,
        )

        page = client.get(f"/documents/{first['id']}").text
        saved = client.post(
            f"/documents/{first['id']}/edit", data={"csrf_token": csrf(page), "number": "VG-1001"}
        )
        assert saved.status_code == 303, saved.text
        patched = client.patch(f"/api/v1/documents/{first['id']}", json={"invoice": {"total": "119.00"}})
        assert patched.status_code == 200, patched.text

        # The worker claims both corrections within its poll and says what each taught.
        wait_for(lambda: service.log().count(f"on {first['id']} taught: Hint(") == 2, 60)
        second = mail_invoice(service, account, client, "VG-1002", "238,00 EUR")
        assert (second["invoice"]["number"], second["invoice"]["total"]) == ("VG-1002", "238.00")
    finally:
        service.stop()
