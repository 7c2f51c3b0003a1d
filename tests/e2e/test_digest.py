"""The daily digest: refused and failed mail to each owner of the account, in their language,
through the relay (an SMTP sink of the test's own); retried after the relay was down; sent
once although two serve processes run it; nothing for an account with nothing to report."""

from __future__ import annotations

import smtplib
import threading

import pytest

from tests.backends import Backend
from tests.builders import make_mail
from tests.e2e.test_core import send
from tests.mailsink import MailSink
from tests.service import Service, inbox_cli, wait_for

# The relay, languages and two processes; the claims on both stores are in tests/storage/test_digests.py.
pytestmark = pytest.mark.store_agnostic

ROUND = "daily digest round:"


def test_owners_get_one_digest_each_in_their_language_after_the_relay_comes_back(backend: Backend):
    # Mail arrives while no relay is set (the digest is off).
    service = Service(data_dir=backend.data_dir, env=dict(backend.env)).start()
    try:
        acme = service.create_account("Acme", "owner@acme.example")
        quiet = service.create_account("Quiet", "owner@quiet.example")
        added = inbox_cli(
            service.data_dir, "user", "add", "Acme", "second@acme.example", "--role", "owner", env=service.env
        )
        assert added.returncode == 0, added.stderr
        client = service.client(acme)
        csrf = client.get("/inbox").text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/account/preferences", data={"csrf_token": csrf, "language": "fr", "time_zone": "UTC"})
        client.post("/inbox/senders", data={"csrf_token": csrf, "senders": "@good.example"})
        with pytest.raises(smtplib.SMTPDataError):
            send(service, make_mail(to=acme.inbox_address), sender="spam@bad.example")
        send(service, make_mail(to=acme.inbox_address), sender="billing@good.example")
        wait_for(
            lambda: [m for m in client.get("/api/messages").json()["items"] if m["status"] != "received"]
        )
    finally:
        service.stop()
    backend.execute("UPDATE message SET status = 'failed', reason = 'pypdf: EOF marker not found'")

    # The relay is down: the digest is not lost, only postponed.
    sink = MailSink()
    worker_env = {**backend.env, "INBOX_RELAY_URL": sink.url, "INBOX_WORKERS": "1"}
    down = Service(data_dir=backend.data_dir, env=worker_env, roles="worker").start()
    try:
        wait_for(lambda: ROUND in down.log())
    finally:
        down.stop()
    assert "digest of account" in down.log() and "retried next round" in down.log()

    # The relay is back and two processes run the round: one digest per owner.
    sink.start()
    seen = len(down.log())
    nodes = [Service(data_dir=backend.data_dir, env=worker_env, roles="worker") for _ in range(2)]
    starting = [threading.Thread(target=node.start) for node in nodes]  # both rounds at once
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join()
    try:
        wait_for(lambda: down.log()[seen:].count(ROUND) >= 2)
    finally:
        for node in nodes:
            node.stop()
        sink.stop()

    assert sorted(m["To"] for m in sink.mails) == ["owner@acme.example", "second@acme.example"]
    [french] = sink.to("owner@acme.example")
    [english] = sink.to("second@acme.example")
    assert french["Subject"] == "invoice-inbox : 1 refusé(s), 1 en échec"
    assert (
        "spam@bad.example" in french.get_content() and "pypdf: EOF marker not found" in french.get_content()
    )
    assert english["Subject"] == "invoice-inbox: 1 refused, 1 failed"
    assert "Refused (the sender is not on the allowed list):" in english.get_content()
    assert quiet.email not in [m["To"] for m in sink.mails]  # nothing to report, nothing sent
    log = down.log()
    assert acme.inbox_address not in log and acme.password not in log
