"""Contract point 3: a mail that got its 250 survives kill -9 and is processed exactly once."""

from __future__ import annotations

import email.policy
import smtplib

from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for


def test_every_accepted_mail_is_processed_once_after_kill_9(backend: Backend):
    service = Service(backend.data_dir, env=backend.env).start()
    account = service.create_account("Acme", "a@acme.example")
    count = 25
    mails = [
        make_mail(
            to=account.inbox_address,
            subject=f"Invoice {n}",
            attachments=[(f"invoice-{n}.pdf", make_pdf([f"Invoice {n}"]), "application/pdf")],
        )
        for n in range(count)
    ]
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        for mail in mails:
            assert (
                smtp.sendmail(
                    "billing@supplier.example",
                    [account.inbox_address],
                    mail.as_bytes(policy=email.policy.SMTP),
                )
                == {}
            )
        service.kill()  # right after the last 250, while the worker is still busy

    restarted = Service(service.data_dir, env=backend.env).start()
    try:
        client = restarted.client(account)

        def all_final():
            items = client.get("/api/messages?limit=100").json()["items"]
            return items if len(items) == count and all(m["status"] != "received" for m in items) else None

        messages = wait_for(all_final, timeout=60)
        assert {m["status"] for m in messages} == {"processed"}
        documents = client.get("/api/documents?limit=100").json()["items"]
        assert sorted(d["filename"] for d in documents) == sorted(f"invoice-{n}.pdf" for n in range(count))
    finally:
        restarted.stop()


def test_sigterm_stops_cleanly_with_exit_code_0(backend: Backend):
    service = Service(backend.data_dir, env=backend.env).start()

    assert service.stop() == 0
