"""Whole-service crashes are not the mail's fault: a mail in hand during repeated kill -9 of
everything is processed in the end, never `gave up` (issue 10, item 5)."""

from __future__ import annotations

import email.policy
import os
import signal
import smtplib
import sqlite3
import time

from tests.backends import Backend
from tests.builders import make_mail, make_pdf, make_slow_pdf
from tests.e2e.test_worker_process import alive, worker_pid
from tests.service import Service, wait_for

CRASHES = 4


CLAIMED = "SELECT count(*) FROM message WHERE claimed_until IS NOT NULL"


def claimed(service: Service, backend: Backend | None = None) -> bool:
    """Whether a worker holds a mail now, read from the database the service uses."""
    if backend is None or backend.database_url is None:
        with sqlite3.connect(service.data_dir / "inbox.db") as db:
            return db.execute(CLAIMED).fetchone()[0] > 0
    store = backend.open_store()
    try:
        with store.engine.connect() as connection:
            return connection.exec_driver_sql(CLAIMED).scalar_one() > 0
    finally:
        store.engine.dispose()


def in_hand(service: Service) -> str | None:
    """`held` once the running worker process itself holds the mail (a claim left by the
    process killed before it does not count: killing the new one then hit no mail); the
    mail's status and reason once it is no longer waiting; None meanwhile."""
    worker = worker_pid(service)
    with sqlite3.connect(service.data_dir / "inbox.db") as db:
        [(status, reason, holder)] = db.execute("SELECT status, reason, claimed_by FROM message").fetchall()
    if status != "received":
        return f"{status}: {reason}"
    return "held" if worker is not None and f":{worker}:" in (holder or "") else None


def kill_everything(service: Service) -> None:
    """What a power cut does: serve and its worker die at once, nobody finishes anything."""
    worker = worker_pid(service)
    assert service.process is not None
    os.kill(service.process.pid, signal.SIGKILL)
    if worker is not None:
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: not alive(worker), interval=0.01)
    service.stop()


def test_a_mail_in_hand_during_repeated_service_crashes_is_processed_in_the_end(tmp_path):
    data_dir = tmp_path / "data"
    service = Service(data_dir).start()
    account = service.create_account("Acme", "owner@acme.example")
    # A mail that takes seconds to read, so every crash hits it in the middle.
    mail = make_mail(
        to=account.inbox_address,
        attachments=[
            ("long.pdf", make_slow_pdf(pages=8), "application/pdf"),
            ("invoice.pdf", make_pdf(), "application/pdf"),
        ],
    )
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("s@x.example", [account.inbox_address], mail.as_bytes(policy=email.policy.SMTP))

    for _ in range(CRASHES):
        assert wait_for(lambda: in_hand(service), interval=0.05) == "held"  # noqa: B023
        time.sleep(0.3)
        kill_everything(service)
        service = Service(data_dir).start()

    try:
        client = service.client(account)
        [message] = wait_for(
            lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"],
            timeout=120,
        )
    finally:
        service.stop()
    assert message["status"] == "processed", message["reason"]
    assert len(message["document_ids"]) == 2


def test_a_mail_whose_worker_keeps_dying_gives_up_visibly(service: Service, backend: Backend):
    account = service.create_account("Acme", "owner@acme.example")
    mail = make_mail(
        to=account.inbox_address, attachments=[("long.pdf", make_slow_pdf(pages=8), "application/pdf")]
    )
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("s@x.example", [account.inbox_address], mail.as_bytes(policy=email.policy.SMTP))

    for _ in range(3):  # the supervisor sees each death: these are charged to the mail
        wait_for(lambda: claimed(service, backend), interval=0.05)
        worker = wait_for(lambda: worker_pid(service))
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: not alive(worker), interval=0.01)  # noqa: B023
        wait_for(lambda: worker_pid(service) not in (None, worker))  # noqa: B023

    client = service.client(account)
    [message] = wait_for(
        lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"],
        timeout=60,
    )
    assert message["status"] == "failed"
    assert message["reason"] == "gave up after 3 crashes of the worker processing it"
