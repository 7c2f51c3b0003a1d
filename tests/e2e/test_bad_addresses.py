"""Addresses with bytes that are not UTF-8 are refused at the command, and never cost
other senders their mail (issue 10, item 1)."""

from __future__ import annotations

from tests.poisoning import NORMAL_MAIL, run_load
from tests.service import Service
from tests.smtpwire import Wire


def test_a_sender_address_that_is_not_utf8_gets_553_5_1_7(service: Service):
    account = service.create_account("Acme", "owner@acme.example")
    with Wire(service.smtp_port) as wire:
        code, text = wire.command(b"MAIL FROM:<j\xfcrgen@example.org>")
        assert (code, text.split()[0]) == (553, "5.1.7"), text
        assert "UTF-8" in text
        # The session goes on: the same client's next, well-formed mail is accepted.
        assert wire.mail(b"jurgen@example.org", [account.inbox_address.encode()], NORMAL_MAIL)[0] == 250


def test_a_recipient_tag_that_is_not_utf8_gets_553_5_1_3(service: Service):
    account = service.create_account("Acme", "owner@acme.example")
    local, domain = account.inbox_address.encode().split(b"@")
    with Wire(service.smtp_port) as wire:
        assert wire.command(b"MAIL FROM:<billing@supplier.example>")[0] == 250
        code, text = wire.command(b"RCPT TO:<" + local + b"+r\xe9f@" + domain + b">")
        assert (code, text.split()[0]) == (553, "5.1.3"), text


def test_control_characters_in_the_sender_are_refused(service: Service):
    with Wire(service.smtp_port) as wire:
        code, text = wire.command(b"MAIL FROM:<bill\x01ing@example.org>")
        assert (code, text.split()[0]) == (553, "5.1.7"), text


def test_poisoning_senders_beside_normal_ones_cost_the_normal_ones_nothing(service: Service):
    # Every client here shares 127.0.0.1: lift the per-address mail rate (ops' limit, tested on
    # its own) so that what is measured is the batch, not the address's budget.
    service.stop()
    service.env["INBOX_MAILS_PER_MINUTE_PER_IP"] = "100000"
    service.start()
    account = service.create_account("Acme", "owner@acme.example")

    normal, bad = run_load(service.smtp_port, account.inbox_address, seconds=3, poisoners=2, normal=4)

    assert sum(normal.values()) >= 8, normal  # the load really ran
    assert set(normal) == {250}, normal
    # Each bad address gets 553; a session that keeps sending them spends its error budget
    # (ops: 421 4.7.0 and disconnect) and the client comes back with a new one.
    assert 553 in bad and set(bad) <= {553, 421, 0}, bad  # 0: the session was closed
    client = service.client(account)
    assert client.get("/api/messages").json()["items"]
