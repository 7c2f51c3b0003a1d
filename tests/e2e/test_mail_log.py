"""The mail log over HTTP: a mail downloaded as it was received (.eml), and the status filter."""

from __future__ import annotations

import email.policy
import re

from tests.builders import make_mail, make_pdf
from tests.e2e.test_core import send
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
    assert response.content == mail.as_bytes(policy=email.policy.SMTP)
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
