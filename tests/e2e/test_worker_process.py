"""The worker runs beside `inbox serve` in its own process: it is restarted, and never orphaned."""

from __future__ import annotations

import contextlib
import email.policy
import os
import signal
import smtplib
import time
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


def test_sigterm_right_after_the_worker_died_starts_no_new_worker_and_exits(tmp_path):
    """The supervisor waits a moment before a restart; SIGTERM in that moment must win."""
    service = Service(tmp_path / "data").start()
    pid = wait_for(lambda: worker_pid(service))

    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not alive(pid), interval=0.01)
    service.process.send_signal(signal.SIGTERM)

    started_after_sigterm = set()
    deadline = time.monotonic() + 20
    while service.process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            started_after_sigterm.add(worker_pid(service))
        time.sleep(0.02)
    if service.process.poll() is None:
        service.kill()
        raise AssertionError("inbox serve did not exit after SIGTERM")
    assert started_after_sigterm - {None, pid} == set()
    assert service.stop() == 0


def descendants(pid: int) -> list[int]:
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += [int(child), *descendants(int(child))]
    return found


def test_processing_yields_the_cores_to_the_smtp_side(service: Service):
    """Senders wait for the 250; the backlog can wait: the worker runs below `inbox serve`, and
    its extraction processes below the worker (they hold no lock the others wait for)."""
    account = service.create_account("Acme", "a@acme.example")
    mail = make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("s@x.example", [account.inbox_address], mail.as_bytes(policy=email.policy.SMTP))
    assert wait_for(lambda: service.client(account).get("/api/documents").json()["items"], timeout=60)
    assert service.process is not None
    worker = wait_for(lambda: worker_pid(service))
    below = {pid: os.getpriority(os.PRIO_PROCESS, pid) for pid in descendants(worker)}

    serve_niceness = os.getpriority(os.PRIO_PROCESS, service.process.pid)
    worker_niceness = os.getpriority(os.PRIO_PROCESS, worker)
    assert worker_niceness >= serve_niceness + 10 or worker_niceness == 19
    # The extraction processes (forked by the pool's fork server, a child of the worker).
    assert any(niceness > worker_niceness for niceness in below.values()), below
    assert all(niceness >= worker_niceness for niceness in below.values()), below
