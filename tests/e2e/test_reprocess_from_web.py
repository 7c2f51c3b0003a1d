"""A mail that failed (or gave up) is visible in the mail log and processed again from it
(issue 10, item 5)."""

from __future__ import annotations

import email.policy
import smtplib

from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for


def csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_mail_that_gave_up_is_processed_again_from_its_page(service: Service, backend: Backend):
    alice = service.create_account("Alice", "alice@a.example")
    bob = service.create_account("Bob", "bob@b.example")
    mail = make_mail(to=alice.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("s@x.example", [alice.inbox_address], mail.as_bytes(policy=email.policy.SMTP))
    client = service.client(alice)
    [message] = wait_for(
        lambda: [m for m in client.get("/api/messages").json()["items"] if m["document_ids"]]
    )
    # What a crash loop leaves behind: failed, nothing kept.
    backend.execute(
        "DELETE FROM partlog WHERE message_id = :id",
        "DELETE FROM document WHERE message_id = :id",
        "UPDATE message SET status = 'failed', reason = 'gave up after 3 attempts', attempts = 4 "
        "WHERE id = :id",
        id=message["id"],
    )
    page = client.get(f"/messages/{message['id']}").text
    assert "gave up after 3 attempts" in page and "Process again" in page

    intruder = service.client(bob)
    refused = intruder.post(
        f"/messages/{message['id']}/reprocess", data={"csrf_token": csrf(intruder.get("/messages").text)}
    )
    assert refused.status_code == 404
    response = client.post(f"/messages/{message['id']}/reprocess", data={"csrf_token": csrf(page)})

    assert response.status_code == 303
    again = wait_for(
        lambda: (m := client.get(f"/api/messages/{message['id']}").json())["status"] == "processed" and m
    )
    assert len(again["document_ids"]) == 1
