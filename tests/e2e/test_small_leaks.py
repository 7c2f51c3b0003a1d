"""Small leaks found by attacking the service (issue 10, item 10), each over real sockets."""

from __future__ import annotations

import email.policy
import io
import smtplib
import zipfile

import pytest

from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.service import Account, Service, wait_for


@pytest.fixture
def service(shared_service: Service) -> Service:
    """One running service for the module; each test makes accounts of its own."""
    return shared_service


def send(service: Service, recipients: list[str], attachments) -> str:
    mail = make_mail(to=", ".join(recipients), attachments=attachments)
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.ehlo()
        smtp.mail("billing@supplier.example")
        for rcpt in recipients:
            smtp.rcpt(rcpt)
        code, text = smtp.data(mail.as_bytes(policy=email.policy.SMTP))
    assert code == 250, text
    return text.decode()


def processed(service: Service, account: Account) -> list[dict]:
    client = service.client(account)
    return wait_for(
        lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"],
        timeout=60,
    )


def test_queued_as_names_the_transaction_not_an_accounts_message(service: Service):
    alice = service.create_account("Alice", "alice.t1@a.example")
    bob = service.create_account("Bob", "bob.t1@b.example")

    reply = send(
        service, [alice.inbox_address, bob.inbox_address], [("a.pdf", make_pdf(), "application/pdf")]
    )

    queued_as = reply.rsplit(" ", 1)[-1]
    message_ids = {m["id"] for a in (alice, bob) for m in processed(service, a)}
    assert len(message_ids) == 2
    assert queued_as not in message_ids
    assert f"queued={queued_as}" in service.log()  # still traceable by the operator


def test_html_quoting_a_pdf_header_is_not_stored_as_a_pdf(service: Service):
    account = service.create_account("Acme", "owner.t2@acme.example")
    html = b"<!DOCTYPE html><html><body><p>Start of a PDF: %PDF-1.7</p></body></html>"

    send(service, [account.inbox_address], [("invoice.pdf", html, "application/pdf")])

    [message] = processed(service, account)
    assert message["document_ids"] == []
    client = service.client(account)
    parts = client.get(f"/api/messages/{message['id']}").json()["parts"]
    [part] = [p for p in parts if p["filename"] == "invoice.pdf"]
    assert part["decision"] == "corrupt"
    assert part["detected_type"] == "text/html"


def test_a_pdf_after_a_binary_prefix_is_still_a_pdf(service: Service):
    account = service.create_account("Acme", "owner.t3@acme.example")
    macbinary = bytes([0, 7]) + b"invoice.pdf" + bytes(115)  # a 128-byte MacBinary header

    send(service, [account.inbox_address], [("invoice.pdf", macbinary + make_pdf(), "application/pdf")])

    [message] = processed(service, account)
    assert len(message["document_ids"]) == 1


RESERVED = ["CON.pdf", "nul", "Aux.tar.pdf", "com1 .pdf", "LPT9.PDF"]
DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}


def test_windows_device_names_do_not_reach_zip_downloads(service: Service):
    account = service.create_account("Acme", "owner.t4@acme.example")
    pdfs = [(name, make_pdf([f"Invoice {n}"]), "application/pdf") for n, name in enumerate(RESERVED)]
    send(service, [account.inbox_address], pdfs)
    [message] = processed(service, account)
    client = service.client(account)
    page = client.get("/documents").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]

    response = client.post("/documents/zip", data={"csrf_token": csrf, "id": message["document_ids"]})

    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == len(RESERVED)
    assert [n for n in names if n.split(".")[0].strip().lower() in DEVICES] == []


def test_an_inactive_accounts_token_and_session_stop_working(service: Service, shared_backend: Backend):
    account = service.create_account("Acme", "owner.t5@acme.example")
    created = service.cli("token", "create", account.id)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    api = service.client()
    api.headers["Authorization"] = f"Bearer {token}"
    browser = service.client(account)
    assert api.get("/api/documents").status_code == 200
    assert browser.get("/documents").status_code == 200

    shared_backend.execute("UPDATE account SET active = false WHERE id = :id", id=account.id)

    assert api.get("/api/documents").status_code == 401
    assert browser.get("/api/documents").status_code == 401
    assert browser.get("/documents").status_code == 303  # to the login page
