"""postmaster@ and abuse@ the inbox domain, which RFC 5321 and RFC 2142 ask an MX to take, reach
the inbox INBOX_POSTMASTER names; without it they are refused like any unknown address."""

from __future__ import annotations

import smtplib

import pytest

from tests.builders import make_mail
from tests.service import Service, wait_for

# Recipients at SMTP time: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def rcpt(service: Service, address: str) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
        smtp.ehlo()
        smtp.mail("reporter@isp.example")
        return smtp.rcpt(address)


def test_role_mailboxes_reach_the_postmaster_inbox_and_nobody_else(tmp_path):
    service = Service(data_dir=tmp_path / "data")
    ops = service.create_account("Ops", "ops@operator.example")
    other = service.create_account("Acme", "owner@acme.example")
    service.env["INBOX_POSTMASTER"] = ops.inbox_address.upper()
    service.start()
    try:
        for address in ("postmaster@inbox.localhost", "Abuse@INBOX.localhost", "postmaster"):
            assert rcpt(service, address)[0] == 250, address
        assert rcpt(service, "webmaster@inbox.localhost")[0] == 550
        with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
            smtp.sendmail(
                "reporter@isp.example", ["abuse@inbox.localhost"], make_mail(subject="Spam report").as_bytes()
            )

        ops_client, other_client = service.client(ops), service.client(other)

        def processed() -> list[dict]:  # its subject is read when it is processed
            return [m for m in ops_client.get("/api/messages").json()["items"] if m["status"] != "received"]

        [report] = wait_for(processed)
        assert report["subject"] == "Spam report"
        assert other_client.get("/api/messages").json()["items"] == []
    finally:
        service.stop()


def test_without_a_postmaster_inbox_role_mailboxes_are_refused(tmp_path):
    service = Service(data_dir=tmp_path / "data").start()
    try:
        code, text = rcpt(service, "postmaster@inbox.localhost")
    finally:
        service.stop()
    assert (code, text[:5]) == (550, b"5.1.1")
    assert "no INBOX_POSTMASTER" in service.log()


def test_a_postmaster_address_at_another_domain_stops_the_start_naming_the_setting(tmp_path):
    service = Service(data_dir=tmp_path / "data", env={"INBOX_POSTMASTER": "ops@elsewhere.example"})
    with pytest.raises(
        RuntimeError, match="INBOX_POSTMASTER: 'ops@elsewhere.example' is not an inbox address"
    ):
        service.start()
