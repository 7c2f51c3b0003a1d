"""Operator endpoints on a running `inbox serve`: Prometheus metrics and readiness."""

from __future__ import annotations

import json
import smtplib

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for


def samples(svc: Service) -> dict[tuple[str, tuple], float]:
    response = svc.client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_count_replies_mails_and_processing_across_processes(service: Service):
    account = service.create_account("Acme", "owner@acme.example")
    mail = make_mail(
        to=account.inbox_address, attachments=[("inv.pdf", make_pdf(["Invoice 1"]), "application/pdf")]
    )
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:
        client.sendmail("billing@supplier.example", [account.inbox_address], mail.as_string())
        client.mail("billing@supplier.example")
        assert client.rcpt("nobody@" + account.inbox_address.split("@")[1])[0] == 550

    # The processing figures come from the worker process.
    figures = wait_for(
        lambda: (s := samples(service)).get(("inbox_processing_seconds_count", ())) == 1 and s, timeout=60
    )

    assert figures[("inbox_messages_total", (("status", "received"),))] == 1
    processed = {
        k: v
        for k, v in figures.items()
        if k[0] == "inbox_messages_total" and k[1] != (("status", "received"),)
    }
    assert list(processed.values()) == [1]
    assert figures[("inbox_smtp_replies_total", (("code", "550"),))] == 1
    assert figures[("inbox_smtp_replies_total", (("code", "250"),))] == 5  # EHLO, MAIL, RCPT, DATA, MAIL
    assert figures[("inbox_backlog_messages", ())] == 0


def test_readyz_answers_503_naming_what_is_not_ready(service: Service, backend: Backend):
    if backend.blob_url:
        pytest.skip("breaks the file store by moving its spool directory; this backend stores on S3")
    client = service.client()
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        200,
        {"ready": True, "checks": {"smtp": True, "blobs": True, "database": True}},
    )

    tmp = service.data_dir / "blobs" / "tmp"
    tmp.rename(tmp.with_name("tmp-away"))
    try:
        broken = client.get("/readyz")
    finally:
        tmp.with_name("tmp-away").rename(tmp)

    assert broken.status_code == 503
    assert broken.json()["checks"]["blobs"] is False
    assert client.get("/readyz").status_code == 200


def test_json_logs_give_every_line_about_a_mail_its_id_and_never_the_inbox_address(tmp_path):
    svc = Service(data_dir=tmp_path / "data", env={"INBOX_LOG_FORMAT": "json"}).start()
    try:
        account = svc.create_account("Acme", "owner@acme.example")
        mail = make_mail(
            to=account.inbox_address, attachments=[("i.pdf", make_pdf(["Invoice 2"]), "application/pdf")]
        )
        with smtplib.SMTP("127.0.0.1", svc.smtp_port, timeout=30) as client:
            queued = client.sendmail("billing@supplier.example", [account.inbox_address], mail.as_string())
        assert queued == {}
        wait_for(lambda: "processed id=" in svc.log(), timeout=60)
    finally:
        assert svc.stop() == 0

    lines = [json.loads(line) for line in svc.log().splitlines()]  # every line is one JSON object
    about_mail = [line for line in lines if " id=" in line["message"]]
    assert {line["logger"] for line in about_mail} >= {"inbox.smtp", "inbox.pipeline"}  # both processes
    assert all(line.get("message_id") and line["message_id"] in line["message"] for line in about_mail)
    assert account.inbox_address.split("@")[0] not in svc.log()
