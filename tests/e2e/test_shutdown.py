"""SIGTERM: the listener closes, a mail in DATA is finished and kept, idle clients get 421, exit 0."""

from __future__ import annotations

import signal
import time

import pytest

from inbox import replies
from tests.service import Service, wait_for
from tests.smtpclients import command, connect, read_line, read_to_end

# Signal handling of the serve process: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def test_sigterm_finishes_the_mail_in_data_turns_idle_clients_away_and_exits_0(tmp_path):
    svc = Service(data_dir=tmp_path / "data").start()
    account = svc.create_account("Acme", "owner@acme.example")
    sending, idle = connect(svc.smtp_port), connect(svc.smtp_port)
    try:
        read_line(sending), read_line(idle)
        command(idle, "EHLO idle.example")
        command(sending, "EHLO busy.example")
        command(sending, "MAIL FROM:<billing@supplier.example>")
        command(sending, f"RCPT TO:<{account.inbox_address}>")
        assert command(sending, "DATA").startswith(b"354")
        sending.sendall(b"Subject: Invoice 12\r\n\r\nfirst half, ")

        svc.send_signal(signal.SIGTERM)
        assert read_to_end(idle) == [replies.SHUTTING_DOWN.encode()]
        time.sleep(0.5)
        sending.sendall(b"second half\r\n.\r\n")
        finished = read_line(sending)
        sending.sendall(b"MAIL FROM:<billing@supplier.example>\r\n")
        after = read_to_end(sending)
    finally:
        sending.close()
        idle.close()
    code = svc.stop()

    assert finished.startswith(b"250 2.0.0")
    assert after == [replies.SHUTTING_DOWN.encode()]
    assert code == 0
    again = Service(data_dir=tmp_path / "data").start()  # the mail that got its 250 is there
    try:
        client = again.client(account)
        # Its subject is read when it is processed, which may be after this start.
        items = wait_for(
            lambda: [i for i in client.get("/api/messages").json()["items"] if i["status"] != "received"]
        )
        total = len(client.get("/api/messages").json()["items"])
    finally:
        again.stop()
    # The 250 names the transaction, not a row: the mail is known by what it said.
    assert ([item["subject"] for item in items], total) == (["Invoice 12"], 1)
