"""A blob store that does not answer: the sender gets 451 4.3.0 (retry later) in bounded time."""

from __future__ import annotations

import email.policy
import smtplib
import socket
import time

from inbox.replies import TRY_AGAIN
from tests.backends import BUCKET, S3_CREDENTIALS
from tests.builders import make_mail, make_pdf
from tests.service import Service

S3_TIMEOUT = 1


def test_an_s3_endpoint_that_never_answers_gets_451_not_a_hang(tmp_path) -> None:
    silent = socket.create_server(("127.0.0.1", 0), backlog=64)  # accepts, then says nothing
    try:
        env = {
            "INBOX_BLOB_URL": f"s3://{BUCKET}/dead",
            "INBOX_S3_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "INBOX_S3_TIMEOUT": str(S3_TIMEOUT),
            **S3_CREDENTIALS,
        }
        service = Service(tmp_path / "data", env=env).start()
        try:
            account = service.create_account("Acme", "a@acme.example")
            mail = make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])
            started = time.monotonic()
            with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=120) as client:
                client.ehlo()
                client.mail("billing@supplier.example")
                client.rcpt(account.inbox_address)
                code, reply = client.data(mail.as_bytes(policy=email.policy.SMTP))
            took = time.monotonic() - started

            assert f"{code} {reply.decode()}" == TRY_AGAIN
            assert took < 30 * S3_TIMEOUT, took  # bounded by the timeout and the attempts
            client_list = service.client(account).get("/api/messages").json()["items"]
            assert client_list == []  # no row without its raw bytes
        finally:
            assert service.stop() == 0
    finally:
        silent.close()
