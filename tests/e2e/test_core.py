"""The whole path over real sockets: SMTP in, document out on the web."""

from __future__ import annotations

import email.policy
import shutil
import smtplib
import subprocess

import pytest

from inbox import replies
from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for


@pytest.fixture
def service(shared_service: Service) -> Service:
    """One running service for the module; each test makes accounts of its own."""
    return shared_service


def send(
    service: Service,
    mail,
    *,
    sender: str = "billing@supplier.example",
    rcpts: list[str] | None = None,
):
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:
        return client.sendmail(sender, rcpts or [mail["To"]], mail.as_bytes(policy=email.policy.SMTP))


def documents(client) -> list[dict]:
    response = client.get("/api/documents")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_mailed_pdf_becomes_a_document_listed_viewed_and_downloaded(service: Service):
    account = service.create_account("Müller GmbH", "anna.t1@mueller.example")
    pdf = make_pdf(pages=3)
    mail = make_mail(
        to=account.inbox_address,
        subject="Rechnung 2026-11",
        attachments=[("Rechnung Nr. 42.pdf", pdf, "application/pdf")],
    )

    refused = send(service, mail)

    assert refused == {}
    client = service.client(account)
    (doc,) = wait_for(lambda: documents(client))
    assert doc["filename"] == "Rechnung Nr. 42.pdf"
    assert doc["pages"] == 3 and doc["kind"] == "pdf" and doc["size"] == len(pdf)
    assert doc["subject"] == "Rechnung 2026-11"
    assert doc["sender"] == "Billing <billing@supplier.example>"
    page = client.get("/documents")
    assert page.status_code == 200 and "Rechnung Nr. 42.pdf" in page.text
    assert account.inbox_address in client.get("/inbox").text
    download = client.get(f"/documents/{doc['id']}/download")
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Rechnung%20Nr.%2042.pdf" in download.headers["content-disposition"]
    messages = client.get("/api/messages").json()["items"]
    assert [m["status"] for m in messages] == ["processed"]
    assert messages[0]["document_ids"] == [doc["id"]]


def test_recipient_matching_ignores_case_and_a_plus_tag(service: Service):
    account = service.create_account("Acme", "a.t2@acme.example")
    local, domain = account.inbox_address.split("@")
    mail = make_mail(
        to=f"{local.upper()}+invoices@{domain.upper()}",
        attachments=[("a.pdf", make_pdf(), "application/pdf")],
    )

    assert send(service, mail) == {}

    assert wait_for(lambda: documents(service.client(account)))


def test_unknown_recipient_is_refused_with_550_5_1_1(service: Service):
    mail = make_mail(to="nobody@inbox.localhost")

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(service, mail)

    assert refused.value.recipients["nobody@inbox.localhost"] == (
        550,
        replies.UNKNOWN_RECIPIENT[4:].encode(),
    )


def test_other_domain_is_refused_even_with_a_valid_local_part(service: Service):
    account = service.create_account("Acme", "a.t4@acme.example")
    local = account.inbox_address.split("@")[0]

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(service, make_mail(to=f"{local}@elsewhere.example"))

    assert refused.value.recipients[f"{local}@elsewhere.example"][0] == 550


def test_mixed_valid_and_invalid_recipients_deliver_to_the_valid_one(service: Service):
    account = service.create_account("Acme", "a.t5@acme.example")
    mail = make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])

    refused = send(service, mail, rcpts=[account.inbox_address, "ghost@inbox.localhost"])

    assert refused == {"ghost@inbox.localhost": (550, replies.UNKNOWN_RECIPIENT[4:].encode())}
    assert wait_for(lambda: documents(service.client(account)))


def test_too_many_recipients_get_452_4_5_3(service: Service):
    account = service.create_account("Acme", "a.t6@acme.example")
    local, domain = account.inbox_address.split("@")
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as client:
        client.ehlo()
        client.mail("billing@supplier.example")
        codes = [client.rcpt(f"{local}+{n}@{domain}") for n in range(51)]

    assert [code for code, _ in codes[:50]] == [250] * 50
    assert codes[50] == (452, replies.TOO_MANY_RECIPIENTS[4:].encode())
    assert codes[0] == (250, replies.OK_RCPT[4:].encode())


def test_mail_from_is_answered_with_an_enhanced_code(service: Service):
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as client:
        client.ehlo()

        assert client.mail("billing@supplier.example") == (250, replies.OK_MAIL[4:].encode())


def test_size_is_advertised_and_an_announced_oversize_is_refused_at_mail_from(tmp_path):
    service = Service(tmp_path / "data", env={"INBOX_MAX_MESSAGE_BYTES": "100000"}).start()
    try:
        with smtplib.SMTP("127.0.0.1", service.smtp_port) as client:
            client.ehlo()
            assert client.esmtp_features["size"] == "100000"
            code, text = client.mail("billing@supplier.example", options=["SIZE=100001"])
        assert (code, text) == (552, replies.MESSAGE_TOO_LARGE[4:].encode())
    finally:
        service.stop()


def test_an_oversize_message_is_refused_while_receiving_and_nothing_is_stored(tmp_path):
    service = Service(tmp_path / "data", env={"INBOX_MAX_MESSAGE_BYTES": "100000"}).start()
    try:
        account = service.create_account("Acme", "a.t9@acme.example")
        mail = make_mail(
            to=account.inbox_address,
            attachments=[("big.pdf", make_pdf(["x" * 80] * 40, pages=90), "application/pdf")],
        )
        assert len(mail.as_bytes()) > 100_000

        with smtplib.SMTP("127.0.0.1", service.smtp_port) as client:
            client.ehlo()
            client.mail("billing@supplier.example")  # no SIZE= announced: the limit must hold anyway
            client.rcpt(account.inbox_address)
            reply = client.data(mail.as_bytes(policy=email.policy.SMTP))

        assert reply == (552, replies.MESSAGE_TOO_LARGE[4:].encode())
        assert service.client(account).get("/api/messages").json()["items"] == []
    finally:
        service.stop()


def test_a_mail_to_two_accounts_is_one_blob_and_one_message_each(backend: Backend):
    service = Service(data_dir=backend.data_dir, env=dict(backend.env)).start()  # counts every blob
    try:
        first = service.create_account("First", "one@first.example")
        second = service.create_account("Second", "two@second.example")
        mail = make_mail(to=first.inbox_address, attachments=[("shared.pdf", make_pdf(), "application/pdf")])

        send(
            service,
            mail,
            rcpts=[first.inbox_address, second.inbox_address, first.inbox_address.upper()],
        )

        docs_first = wait_for(lambda: documents(service.client(first)))
        docs_second = wait_for(lambda: documents(service.client(second)))
        assert len(docs_first) == len(docs_second) == 1
        assert docs_first[0]["id"] != docs_second[0]["id"]
        assert len(service.client(first).get("/api/messages").json()["items"]) == 1
        assert len(backend.stored_blobs()) == 2  # the raw mail once, the PDF once
    finally:
        service.stop()


def test_mail_without_attachment_is_no_documents(service: Service):
    account = service.create_account("Acme", "a.t11@acme.example")
    send(service, make_mail(to=account.inbox_address, text="just saying hello"))

    client = service.client(account)
    (message,) = wait_for(
        lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"]
    )

    assert message["status"] == "no_documents"
    assert message["document_ids"] == []


def test_broken_pdf_is_stored_and_flagged_unreadable(service: Service):
    account = service.create_account("Acme", "a.t12@acme.example")
    send(
        service,
        make_mail(
            to=account.inbox_address,
            attachments=[("broken.pdf", b"%PDF-1.7\n1 0 obj <<", "application/pdf")],
        ),
    )

    (doc,) = wait_for(lambda: documents(service.client(account)))

    assert doc["status"] == "unreadable" and doc["pages"] is None


def test_garbage_bytes_as_a_mail_are_recorded_without_crash(service: Service):
    account = service.create_account("Acme", "a.t13@acme.example")
    garbage = bytes(range(256)).replace(b"\r", b"").replace(b"\n", b"") * 3 + b"\r\n"
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("x@y.example", [account.inbox_address], garbage[:900] + b"\r\n\r\n" + garbage[:900])

    client = service.client(account)
    (message,) = wait_for(
        lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"]
    )
    assert message["status"] == "no_documents"
    assert client.get("/healthz").json() == {"status": "ok"}


def test_reprocess_is_idempotent(service: Service):
    account = service.create_account("Acme", "a.t14@acme.example")
    send(
        service,
        make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")]),
    )
    client = service.client(account)
    (first,) = wait_for(lambda: documents(client))
    message_id = client.get("/api/messages").json()["items"][0]["id"]

    result = service.cli("reprocess", message_id)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{message_id}: processed"
    assert [d["id"] for d in documents(client)] == [first["id"]]
    assert service.cli("reprocess", "nope").returncode == 2


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks is not installed")
def test_swaks_as_in_the_readme_delivers_an_invoice(service: Service, tmp_path):
    account = service.create_account("Acme", "a.t16@acme.example")
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(make_pdf())

    result = subprocess.run(
        [
            "swaks",
            "--server",
            f"127.0.0.1:{service.smtp_port}",
            "--to",
            account.inbox_address,
            "--from",
            "billing@supplier.example",
            "--attach",
            f"@{invoice}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "250 2.0.0 Ok: queued as" in result.stdout
    (doc,) = wait_for(lambda: documents(service.client(account)))
    assert doc["size"] == invoice.stat().st_size


def test_send_test_command_as_in_the_readme(service: Service):
    account = service.create_account("Acme", "a.t17@acme.example")

    result = service.cli("send-test", "--to", account.inbox_address, "--smtp-port", str(service.smtp_port))

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("250 2.0.0 Ok: queued as")
    (doc,) = wait_for(lambda: documents(service.client(account)))
    assert doc["invoice"]["total"] == "180.00"
