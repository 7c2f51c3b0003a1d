"""Authentication results decide who may send to an inbox with an allowed-senders list."""

from __future__ import annotations

import smtplib

import pytest

from inbox import replies
from tests.authmail import mail, signed, zone
from tests.dnsserver import dns_server, refusing_dns_server
from tests.service import Account, Service, inbox_cli

# SPF, DKIM and DMARC at the SMTP layer: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def start_guarded(data_dir, dns_port: int) -> tuple[Service, Account]:
    """A service asking the DNS server at `dns_port`, and an inbox taking mail from one supplier."""
    svc = Service(data_dir=data_dir, env={"INBOX_DNS_SERVERS": f"127.0.0.1:{dns_port}"}).start()
    account = svc.create_account("Acme", "owner@acme.example")
    client = svc.client(account)
    csrf = client.get("/inbox").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/inbox/senders", data={"csrf_token": csrf, "senders": "@supplier-gmbh.de"})
    return svc, account


@pytest.fixture
def guarded_inbox(tmp_path):
    with dns_server(zone()) as port:
        svc, account = start_guarded(tmp_path / "data", port)
        yield svc, account
        svc.stop()


def send(svc: Service, envelope_from: str, to: str, raw: bytes):
    with smtplib.SMTP("127.0.0.1", svc.smtp_port, timeout=30) as client:
        client.ehlo("mx.relay-service.net")
        client.mail(envelope_from)
        client.rcpt(to)
        return client.data(raw)


def test_a_relayed_mail_whose_header_from_passes_dmarc_is_taken_from_a_listed_supplier(guarded_inbox):
    svc, account = guarded_inbox

    code, text = send(svc, "bounce-123@relay-service.net", account.inbox_address, signed(mail()))

    assert code == 250, text
    assert "spf=pass dkim=pass dmarc=pass" in svc.log()


def test_a_forged_header_from_of_a_listed_supplier_is_refused(guarded_inbox):
    svc, account = guarded_inbox
    forged = mail().replace(b"Invoice attached.", b"New bank details.")  # unsigned

    code, text = send(svc, "bounce-123@relay-service.net", account.inbox_address, forged)

    assert (code, text.decode()) == (550, replies.SENDER_NOT_ALLOWED[4:])
    assert "Refused senders" in svc.client(account).get("/messages").text


def test_during_a_dns_outage_a_mail_that_dmarc_could_admit_gets_a_temporary_451(tmp_path):
    with refusing_dns_server() as port:
        svc, account = start_guarded(tmp_path / "data", port)
        try:
            code, text = send(svc, "bounce-123@relay-service.net", account.inbox_address, signed(mail()))
        finally:
            svc.stop()

    assert (code, text.decode()) == (451, replies.AUTH_TRY_AGAIN[4:])


def test_an_account_that_refuses_dmarc_failures_gets_550_and_keeps_the_results_of_what_it_takes(tmp_path):
    with dns_server(zone()) as port:
        svc = Service(data_dir=tmp_path / "data", env={"INBOX_DNS_SERVERS": f"127.0.0.1:{port}"}).start()
        try:
            account = svc.create_account("Acme", "owner@acme.example")
            switched = inbox_cli(svc.data_dir, "account", "dmarc", account.email, "on", env=svc.env)
            assert switched.returncode == 0, switched.stderr

            forged = send(
                svc, "bounce@relay-service.net", account.inbox_address, mail(sender="ceo@a-bank.de")
            )
            genuine = send(svc, "billing@supplier-gmbh.de", account.inbox_address, signed(mail()))
            client = svc.client(account)
            items = client.get("/api/messages").json()["items"]
            page = client.get(f"/messages/{items[0]['id']}").text
        finally:
            svc.stop()

    assert (forged[0], forged[1].decode()) == (550, replies.DMARC_FAILED[4:])
    assert genuine[0] == 250
    assert [item["auth"] for item in items] == [{"spf": "pass", "dkim": "pass", "dmarc": "pass"}]
    assert "DMARC: pass" in page
