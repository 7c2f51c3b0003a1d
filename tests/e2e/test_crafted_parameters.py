"""Cursors and dates written by hand get a 400 that says what is wrong, never a 500
(issue 10, item 8)."""

from __future__ import annotations

import base64
import email.policy
import json
import smtplib

import pytest

from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for

# SMTP command parsing: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def sorted_cursor(sort: str, key) -> str:
    return b64(json.dumps([sort, sort != "supplier", key, "0" * 20]))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    service = Service(tmp_path_factory.mktemp("crafted") / "data").start()
    account = service.create_account("Acme", "owner@acme.example")
    mail = make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.sendmail("s@x.example", [account.inbox_address], mail.as_bytes(policy=email.policy.SMTP))
    client = service.client(account)
    wait_for(lambda: client.get("/api/documents").json()["items"], timeout=60)
    yield client
    service.stop()


CRAFTED = [
    ("/api/documents", {"cursor": b64("2026-01-01T10:00:00|abc")}),  # naive time
    ("/api/messages", {"cursor": b64("2026-01-01T10:00:00|abc")}),
    ("/api/messages", {"cursor": b64("9999-12-31T23:00:00-05:00|abc")}),  # past the last UTC time
    ("/documents", {"cursor": sorted_cursor("received", "2026-01-01T10:00:00")}),
    ("/documents", {"sort": "total", "cursor": sorted_cursor("total", [1, 2])}),
    ("/documents", {"sort": "total", "cursor": sorted_cursor("total", {"a": 1})}),
    ("/documents", {"sort": "total", "cursor": sorted_cursor("total", 10**400)}),
    ("/documents", {"sort": "supplier", "cursor": sorted_cursor("supplier", 2**70)}),
    ("/documents", {"sort": "supplier", "cursor": sorted_cursor("supplier", ["x"])}),
    ("/documents", {"sort": "date", "cursor": sorted_cursor("date", 12)}),
    ("/documents", {"to": "2026-02-30"}),
    ("/documents", {"from": "yesterday"}),
    ("/documents", {"from": "+2026-01-01"}),
    ("/documents.csv", {"to": "2026-13-01"}),
]


@pytest.mark.parametrize(("path", "params"), CRAFTED)
def test_crafted_parameters_get_400_with_a_message(served, path, params):
    response = served.get(path, params=params)

    assert response.status_code == 400, (response.status_code, response.text[:300])
    text = response.json()["detail"] if path.startswith("/api/") else response.text
    assert "not valid" in text or "is not a date" in text


def test_the_last_representable_day_is_no_upper_bound(served):
    page = served.get("/documents", params={"to": "9999-12-31"})
    assert page.status_code == 200
    assert "a.pdf" in page.text

    export = served.get("/documents.csv", params={"to": "9999-12-31", "from": "0001-01-01"})
    assert export.status_code == 200
    assert len(export.text.strip().splitlines()) == 2  # header and the document


def test_a_total_beyond_64_bits_in_a_cursor_is_compared_as_a_number(served):
    response = served.get("/documents", params={"sort": "total", "cursor": sorted_cursor("total", 2**64)})
    assert response.status_code == 200
    assert "a.pdf" in response.text  # every total is below it
