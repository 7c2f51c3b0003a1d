"""The mail log over HTTP: a mail downloaded as it was received behind our trace (.eml), and the
status filter."""

from __future__ import annotations

import email.policy
import re
import smtplib

from tests.builders import make_mail, make_pdf
from tests.e2e.test_core import send
from tests.received import split_trace
from tests.service import Service, wait_for


def subjects(page: str) -> list[str]:
    return re.findall(r'<td class="subject">([^<]*)</td>', page)


def test_a_mail_downloads_as_received_under_a_name_of_our_own_and_only_for_its_account(
    shared_service: Service,
):
    service = shared_service
    owner = service.create_account("Acme", "a@acme.example")
    other = service.create_account("Other", "o@other.example")
    mail = make_mail(
        to=owner.inbox_address,
        subject='Invoice "../../etc/passwd"\r\n',
        attachments=[("a.pdf", make_pdf(["INVOICE", "Invoice No. EML-1"]), "application/pdf")],
    )
    assert send(service, mail) == {}
    client, outsider = service.client(owner), service.client(other)
    (message,) = client.get("/api/messages").json()["items"]

    response = client.get(f"/messages/{message['id']}/raw")

    assert response.status_code == 200
    trace, sent = split_trace(response.content)
    assert sent == mail.as_bytes(policy=email.policy.SMTP)
    assert (trace["sender"], trace["by"], trace["protocol"]) == (
        b"billing@supplier.example",
        b"inbox.localhost",
        b"ESMTP",
    )
    assert response.headers["content-type"] == "message/rfc822"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(
        rf'attachment; filename="mail-\d{{8}}-\d{{6}}-{message["id"]}\.eml"; filename\*=.*', disposition
    )
    assert f'href="/messages/{message["id"]}/raw"' in client.get(f"/messages/{message['id']}").text
    assert outsider.get(f"/messages/{message['id']}/raw").status_code == 404
    assert client.get("/messages/no-such-mail/raw").status_code == 404


def test_the_mail_log_filters_by_status(shared_service: Service):
    service = shared_service
    account = service.create_account("Filter", "f@filter.example")
    pdf = make_pdf(["INVOICE", "Invoice No. ST-1"])
    assert (
        send(
            service,
            make_mail(
                to=account.inbox_address,
                subject="with a PDF",
                attachments=[("st.pdf", pdf, "application/pdf")],
            ),
        )
        == {}
    )
    assert send(service, make_mail(to=account.inbox_address, subject="just words")) == {}
    client = service.client(account)
    wait_for(lambda: all(m["status"] != "received" for m in client.get("/api/messages").json()["items"]), 60)

    assert subjects(client.get("/messages", params={"status": "processed"}).text) == ["with a PDF"]
    assert subjects(client.get("/messages", params={"status": "no_documents"}).text) == ["just words"]
    assert "No mail with this status." in client.get("/messages", params={"status": "failed"}).text
    every = ["just words", "with a PDF"]
    assert (
        subjects(client.get("/messages", params={"status": "nonsense"}).text) == every
    )  # as the documents list
    assert subjects(client.get("/messages").text) == every


def test_every_mail_starts_with_a_trace_naming_the_transaction_and_no_header_from_the_client(
    shared_service: Service,
):
    """RFC 5321 4.4: Return-Path and Received in front of the mail. The id is the one the 250
    gave; a HELO name cannot end the header or start one of its own."""
    service = shared_service
    account = service.create_account("Trace", "t@trace.example")
    mail = make_mail(to=account.inbox_address, subject="traced")
    with smtplib.SMTP("127.0.0.1", service.smtp_port, local_hostname="host (x)\tX-Injected: yes") as smtp:
        smtp.ehlo()
        smtp.mail("billing@supplier.example")
        smtp.rcpt(account.inbox_address)
        code, reply = smtp.data(mail.as_bytes(policy=email.policy.SMTP))
    assert code == 250
    client = service.client(account)
    (message,) = client.get("/api/messages").json()["items"]

    trace, sent = split_trace(client.get(f"/messages/{message['id']}/raw").content)

    assert reply.endswith(b"queued as " + trace["id"])
    assert trace["helo"] == b"host??x??X-Injected:?yes" and trace["ip"] == b"[127.0.0.1]"
    assert sent == mail.as_bytes(policy=email.policy.SMTP)
