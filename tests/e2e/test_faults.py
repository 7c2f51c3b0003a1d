"""Faults under a running `inbox serve`, over real SMTP (issue 14, item 10): a full disk and a
locked database answer `451 4.3.0` at DATA, never a 250 for a mail not stored, and once the fault
is gone the same mails, sent again as an MTA would, are accepted and processed, none lost."""

from __future__ import annotations

import email.policy
import smtplib
import sqlite3
import time
from email.message import EmailMessage

import httpx

from inbox.replies import TRY_AGAIN
from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.service import Account, Service, wait_for
from tests.tmpfs import fill_up, small_tmpfs

DATA_DIR_BYTES = 32 * 1024 * 1024
BUSY_TIMEOUT = 10  # seconds SQLite waits for a lock (storage/db.py) before "database is locked"


def invoice(account: Account, n: int) -> tuple[EmailMessage, bytes]:
    pdf = make_pdf(["INVOICE", f"Invoice No. FAULT-{n}"])
    mail = make_mail(
        to=account.inbox_address, subject=f"Invoice {n}", attachments=[(f"f{n}.pdf", pdf, "application/pdf")]
    )
    return mail, pdf


def deliver(service: Service, mail: EmailMessage) -> str:
    """The reply to DATA, as '<code> <text>'."""
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=60) as client:
        client.ehlo()
        client.mail("billing@supplier.example")
        client.rcpt(mail["To"])
        code, reply = client.data(mail.as_bytes(policy=email.policy.SMTP))
    return f"{code} {reply.decode()}"


def stored_documents(client: httpx.Client, count: int) -> dict[str, bytes]:
    """Each document's subject and bytes, once `count` of them are processed."""
    listed = wait_for(
        lambda: len(items := client.get("/api/documents").json()["items"]) >= count and items, 60
    )
    return {d["subject"]: client.get(f"/documents/{d['id']}/download").content for d in listed}


def test_a_full_disk_gives_451_and_nothing_is_lost_once_space_is_back(backend: Backend, tmp_path) -> None:
    with small_tmpfs(tmp_path / "data", DATA_DIR_BYTES) as data_dir:
        service = Service(data_dir, env=dict(backend.env)).start()
        try:
            account = service.create_account("Acme", "a@acme.example")
            client = service.client(account)  # logged in while a login can still be recorded
            mails = [invoice(account, n) for n in range(3)]
            assert deliver(service, mails[0][0]).startswith("250 ")
            stored_documents(client, 1)  # processed: the worker writes nothing more

            filler = fill_up(data_dir)
            for mail, _ in mails[1:]:
                assert deliver(service, mail) == TRY_AGAIN
            assert len(client.get("/api/messages").json()["items"]) == 1

            filler.unlink()
            for mail, _ in mails[1:]:  # the sender's retry
                assert deliver(service, mail).startswith("250 ")
            documents = stored_documents(client, 3)
            assert documents == {mail["Subject"]: pdf for mail, pdf in mails}
        finally:
            service.stop()


def test_a_locked_database_gives_451_and_the_retry_is_accepted_once_it_is_free(tmp_path) -> None:
    service = Service(tmp_path / "data").start()
    try:
        account = service.create_account("Acme", "a@acme.example")
        (mail, pdf), (second, second_pdf) = invoice(account, 1), invoice(account, 2)
        locker = sqlite3.connect(tmp_path / "data" / "inbox.db", isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
            started = time.monotonic()
            assert deliver(service, mail) == TRY_AGAIN
            assert BUSY_TIMEOUT <= time.monotonic() - started < 3 * BUSY_TIMEOUT
        finally:
            locker.rollback()
            locker.close()

        assert deliver(service, mail).startswith("250 ")
        assert deliver(service, second).startswith("250 ")
        client = service.client(account)
        documents = stored_documents(client, 2)
        assert documents == {mail["Subject"]: pdf, second["Subject"]: second_pdf}
        assert len(client.get("/api/messages").json()["items"]) == 2
    finally:
        assert service.stop() == 0
