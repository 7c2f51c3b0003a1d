"""RCPT answers come from a cache of active inboxes (inbox/recipientcache.py): an inbox that
stops must still be refused promptly, within a second from another process's change and at
once from this process's web."""

from __future__ import annotations

import smtplib
import time

import pytest

from inbox.recipientcache import TTL_SECONDS
from storage.models import Account as AccountRow
from tests.backends import Backend
from tests.service import Service, wait_for


@pytest.fixture
def service(shared_service: Service) -> Service:
    return shared_service


def rcpt_code(service: Service, address: str) -> int:
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:
        client.ehlo()
        client.mail("billing@supplier.example")
        return client.rcpt(address)[0]


def test_an_inbox_deactivated_by_another_process_is_refused_within_a_second(
    service: Service, shared_backend: Backend
):
    account = service.create_account("Gone GmbH", "gone@gone.example")
    assert rcpt_code(service, account.inbox_address) == 250  # the server now holds it

    store = shared_backend.open_store()
    try:
        with store.session() as session:
            row = session.get(AccountRow, account.id)
            assert row is not None
            row.active = False
            session.add(row)
    finally:
        store.engine.dispose()
    deactivated = time.monotonic()

    wait_for(lambda: rcpt_code(service, account.inbox_address) == 550, timeout=TTL_SECONDS + 5, interval=0.05)
    assert time.monotonic() - deactivated <= TTL_SECONDS + 0.5


def test_an_address_replaced_on_the_web_is_refused_at_once(service: Service):
    account = service.create_account("Fresh SARL", "fresh@fresh.example")
    assert rcpt_code(service, account.inbox_address) == 250
    client = service.client(account)
    csrf = client.get("/inbox").text.split('name="csrf_token" value="')[1].split('"')[0]

    replaced = client.post("/inbox/regenerate", data={"csrf_token": csrf, "confirm": "yes"})

    assert replaced.status_code == 303
    assert rcpt_code(service, account.inbox_address) == 550
