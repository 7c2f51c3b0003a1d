"""A blob store that does not answer: the sender gets 451 4.3.0 (retry later) in bounded time,
and a worker that cannot read a mail's bytes leaves the mail for a retry, never `failed`."""

from __future__ import annotations

import email.policy
import smtplib
import socket
import time

from inbox.replies import TRY_AGAIN
from storage.models import Message
from tests.backends import BUCKET, S3_CREDENTIALS, Backend
from tests.builders import make_mail, make_pdf
from tests.e2e.test_core import send
from tests.service import Service, free_port, inbox_cli, wait_for

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


def break_blob_store(backend: Backend, env: dict[str, str], raw_sha256: str) -> dict[str, str]:
    """The environment of a worker facing a dead blob store: on S3 an endpoint that refuses
    every connection; on files the raw mail reading as an I/O error (a symlink to the reader's
    own /proc/self/mem, whose first page is unmapped: EIO on read, as from a failing disk)."""
    if backend.blob_url is not None:
        return {**env, "INBOX_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "INBOX_S3_TIMEOUT": "1"}
    blob = next((backend.data_dir / "blobs").rglob(raw_sha256))
    blob.rename(blob.with_suffix(".kept"))
    blob.symlink_to("/proc/self/mem")
    return env


def mend_blob_store(backend: Backend, raw_sha256: str) -> None:
    if backend.blob_url is None:
        blob = next((backend.data_dir / "blobs").rglob(raw_sha256))
        blob.unlink()
        blob.with_suffix(".kept").rename(blob)


def test_a_worker_facing_a_dead_blob_store_leaves_the_mail_for_a_retry(backend: Backend, tmp_path) -> None:
    env = dict(backend.env)
    if backend.name == "sqlite":  # the roles share one data dir, as on one machine
        env["INBOX_DATA_DIR"] = str(backend.data_dir)
    else:
        assert inbox_cli(tmp_path / "admin", "migrate", env=env).returncode == 0
    shared = backend.data_dir if backend.name == "sqlite" else None
    front = Service(shared or tmp_path / "front", env=env, roles="smtp,web").start()
    try:
        account = front.create_account("Acme", "a@acme.example")
        pdf = make_pdf(["INVOICE", "Invoice No. DB-1"])
        assert (
            send(front, make_mail(to=account.inbox_address, attachments=[("db.pdf", pdf, "application/pdf")]))
            == {}
        )
        reader = front.client(account)
        (message,) = reader.get("/api/messages").json()["items"]
        (raw_sha256,) = backend.stored_blobs()

        worker = Service(
            shared or tmp_path / "worker", env=break_blob_store(backend, env, raw_sha256), roles="worker"
        ).start()
        try:
            waiting = wait_for(
                lambda: "will try again" in (m := the_message(reader))["reason"] and m, timeout=60
            )
        finally:
            assert worker.stop() == 0
        assert waiting["status"] == "received"
        assert ("S3" if backend.blob_url else "Input/output error") in waiting["reason"]
        assert attempts(backend, message["id"]) == 0  # not counted against the mail

        mend_blob_store(backend, raw_sha256)
        worker = Service(shared or tmp_path / "worker2", env=env, roles="worker").start()
        try:
            done = wait_for(lambda: (m := the_message(reader))["status"] != "received" and m, timeout=60)
        finally:
            assert worker.stop() == 0
        assert done["status"] == "processed"
        (document_id,) = done["document_ids"]
        assert reader.get(f"/documents/{document_id}/download").content == pdf
    finally:
        assert front.stop() == 0


def the_message(client) -> dict:
    (message,) = client.get("/api/messages").json()["items"]
    return message


def attempts(backend: Backend, message_id: str) -> int:
    store = backend.open_store()
    try:
        with store.session() as session:
            message = session.get(Message, message_id)
            assert message is not None
            return message.attempts
    finally:
        store.engine.dispose()
