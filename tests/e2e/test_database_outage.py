"""Issue 14, item 10: an unreachable database. While `inbox serve`'s PostgreSQL is down, a mail
gets `451 4.3.0` within seconds (never a 250 for a mail not stored, never a hang), `/readyz` says
503; once the database is back, the senders' retries get 250 and every mail becomes a document.

The cluster is the test's own (tests/backends.py's is shared by every test of the session, and
stopping it would fail the others running beside this one under xdist).
"""

from __future__ import annotations

import email.policy
import smtplib
import time
from collections.abc import Iterator

import pytest

from inbox.replies import TRY_AGAIN
from tests.backends import BUCKET, S3_CREDENTIALS, MotoS3, PostgresCluster
from tests.e2e.test_faults import invoice, stored_documents
from tests.service import Service, wait_for

SENDER = "billing@supplier.example"
PROMPT = 15  # seconds: a refused mail is answered long before any SMTP timeout


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    try:
        own = PostgresCluster().start()
    except Exception as err:  # not installed here: the session's PostgreSQL tests skip too
        pytest.skip(f"no PostgreSQL cluster of the test's own: {err}")
    yield own
    own.stop()


def first_refusal(service: Service, raw: bytes, recipient: str) -> str:
    """The first reply that is not a success in one SMTP transaction, or the 250 to DATA."""
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=60) as client:
        client.ehlo()
        for command in (
            lambda: client.mail(SENDER),
            lambda: client.rcpt(recipient),
            lambda: client.data(raw),
        ):
            code, reply = command()
            if code >= 400:
                return f"{code} {reply.decode()}"
    return f"{code} {reply.decode()}"


def test_a_database_outage_gives_451_and_the_retries_are_stored_once_it_is_back(
    tmp_path, cluster: PostgresCluster, s3: MotoS3
) -> None:
    database = cluster.create_database()
    env = {
        "INBOX_DATABASE_URL": cluster.url(database),
        "INBOX_BLOB_URL": f"s3://{BUCKET}/{database}",
        "INBOX_S3_ENDPOINT_URL": s3.endpoint,
        **S3_CREDENTIALS,
    }
    service = Service(tmp_path / "data", env=env).start()
    try:
        account = service.create_account("Acme", "a@acme.example")
        client = service.client(account)  # logged in while logins can be recorded
        mails = [invoice(account, n) for n in range(3)]
        raws = [mail.as_bytes(policy=email.policy.SMTP) for mail, _ in mails]
        assert first_refusal(service, raws[0], account.inbox_address).startswith("250 ")
        stored_documents(client, 1)
        assert client.get("/readyz").status_code == 200

        with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=60) as in_flight:
            in_flight.ehlo()
            in_flight.mail(SENDER)
            in_flight.rcpt(account.inbox_address)
            cluster.halt()  # between RCPT and DATA: the mail cannot be recorded
            started = time.monotonic()
            code, reply = in_flight.data(raws[1])
        assert f"{code} {reply.decode()}" == TRY_AGAIN
        assert time.monotonic() - started < PROMPT
        started = time.monotonic()  # a new mail: its recipient cannot even be looked up
        assert first_refusal(service, raws[2], account.inbox_address) == TRY_AGAIN
        assert time.monotonic() - started < PROMPT
        readiness = client.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["checks"]["database"] is False

        cluster.resume()
        for raw in raws[1:]:  # the sender's retry, as an MTA's queue would
            wait_for(
                lambda raw=raw: first_refusal(service, raw, account.inbox_address).startswith("250 "), 60, 0.5
            )
        wait_for(lambda: client.get("/readyz").status_code == 200, 30)
        documents = stored_documents(client, 3)
        assert documents == {mail["Subject"]: pdf for mail, pdf in mails}
        assert len(client.get("/api/messages").json()["items"]) == 3
    finally:
        assert service.stop() == 0
