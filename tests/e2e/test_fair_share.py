"""One account's slow mails cost another account seconds, not minutes (issue 10, item 2)."""

from __future__ import annotations

import email.policy
import smtplib
import time

import pytest

from tests.builders import make_mail, make_pdf, make_slow_pdf
from tests.service import Service, wait_for

# The worker's slots: the store is not what is tested here (the claim query is, in tests/storage).
pytestmark = pytest.mark.store_agnostic

BUDGET_SECONDS = 10


def send(service: Service, to: str, attachment: tuple[str, bytes, str]) -> None:
    mail = make_mail(to=to, attachments=[attachment])
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("billing@supplier.example", [to], mail.as_bytes(policy=email.policy.SMTP))


def test_another_accounts_invoice_is_not_queued_behind_slow_pdfs(tmp_path):
    service = Service(tmp_path / "data", env={"INBOX_PARSE_TIMEOUT": str(BUDGET_SECONDS)}).start()
    try:
        hostile = service.create_account("Hostile", "owner@hostile.example")
        victim = service.create_account("Victim", "owner@victim.example")
        slow = make_slow_pdf(pages=50)
        for n in range(4):
            send(service, hostile.inbox_address, (f"slow-{n}.pdf", slow, "application/pdf"))
        victim_client = service.client(victim)
        time.sleep(1)  # the hostile account's mails are claimed before the victim's arrives

        sent = time.monotonic()
        send(service, victim.inbox_address, ("invoice.pdf", make_pdf(), "application/pdf"))
        [done] = wait_for(
            lambda: [
                m for m in victim_client.get("/api/messages").json()["items"] if m["status"] != "received"
            ],
            timeout=BUDGET_SECONDS * 6,
        )
        delay = time.monotonic() - sent

        assert done["status"] == "processed"
        print(f"victim's invoice processed {delay:.1f} s after it was sent")
        assert delay < BUDGET_SECONDS / 2, f"{delay:.1f} s behind the hostile account's slow mails"
    finally:
        service.stop()
