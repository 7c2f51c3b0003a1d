"""A part too slow to read costs only itself: the mail's other parts become documents
(issue 10, item 3), over a real `inbox serve` and its extraction processes."""

from __future__ import annotations

import email.policy
import smtplib

import pytest

from tests.builders import make_mail, make_pdf, make_slow_pdf
from tests.service import Service, wait_for

# Extraction budgets in the sandboxed children: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic

BUDGET_SECONDS = 4


@pytest.fixture
def slow_service(tmp_path):
    service = Service(tmp_path / "data", env={"INBOX_PARSE_TIMEOUT": str(BUDGET_SECONDS)}).start()
    yield service
    service.stop()


def deliver(service: Service, to: str, attachments) -> None:
    mail = make_mail(to=to, attachments=attachments)
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("billing@supplier.example", [to], mail.as_bytes(policy=email.policy.SMTP))


def test_a_slow_pdf_is_too_slow_and_the_good_invoice_beside_it_is_kept(slow_service: Service):
    account = slow_service.create_account("Acme", "owner@acme.example")
    slow = make_slow_pdf(pages=20)
    good = make_pdf(["INVOICE", "Invoice No. INV-77", "Total: 50.00 EUR"])

    deliver(
        slow_service,
        account.inbox_address,
        [("slow.pdf", slow, "application/pdf"), ("good.pdf", good, "application/pdf")],
    )

    client = slow_service.client(account)
    [message] = wait_for(
        lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"],
        timeout=60,
    )
    assert message["status"] == "processed", message["reason"]
    assert "warning" in message["reason"] and "slow.pdf (too_slow)" in message["reason"]
    [document_id] = message["document_ids"]
    assert client.get(f"/api/documents/{document_id}").json()["filename"] == "good.pdf"
    parts = {p["filename"]: p for p in client.get(f"/api/messages/{message['id']}").json()["parts"]}
    assert parts["slow.pdf"]["decision"] == "too_slow"
    assert "longer than" in parts["slow.pdf"]["reason"]
    assert parts["good.pdf"]["decision"] == "document"


def test_a_mail_whose_only_pdf_is_too_slow_fails_with_the_part_named(slow_service: Service):
    account = slow_service.create_account("Acme", "owner@acme.example")

    deliver(slow_service, account.inbox_address, [("slow.pdf", make_slow_pdf(pages=20), "application/pdf")])

    client = slow_service.client(account)
    [message] = wait_for(
        lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"],
        timeout=60,
    )
    assert message["status"] == "failed"
    assert "slow.pdf (too_slow)" in message["reason"]
    parts = client.get(f"/api/messages/{message['id']}").json()["parts"]
    assert [p["decision"] for p in parts if p["filename"] == "slow.pdf"] == ["too_slow"]
