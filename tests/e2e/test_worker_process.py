"""The worker runs beside `inbox serve` in its own process: it is restarted, and never orphaned."""

from __future__ import annotations

import email.policy
import os
import signal
import smtplib
from pathlib import Path

from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for


def worker_pid(service: Service) -> int | None:
    """The spawned worker: the child of `inbox serve` started by multiprocessing's spawn."""
    assert service.process is not None
    pid = service.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
        except FileNotFoundError:
            continue
    return None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_worker_exits_when_serve_is_killed(tmp_path):
    service = Service(tmp_path / "data").start()
    pid = wait_for(lambda: worker_pid(service))

    service.kill()

    wait_for(lambda: not alive(pid), timeout=30)


def test_a_killed_worker_is_restarted_and_mail_is_still_processed(service: Service):
    account = service.create_account("Acme", "a@acme.example")
    first = wait_for(lambda: worker_pid(service))

    os.kill(first, signal.SIGKILL)
    mail = make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("s@x.example", [account.inbox_address], mail.as_bytes(policy=email.policy.SMTP))

    client = service.client(account)
    assert wait_for(lambda: client.get("/api/documents").json()["items"], timeout=60)
    assert wait_for(lambda: worker_pid(service)) != first
