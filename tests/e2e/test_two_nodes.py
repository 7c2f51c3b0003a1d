"""Two `smtp,worker` nodes and one `web` node sharing PostgreSQL and S3; one node dies by kill -9.

Eight clients send distinct invoices to both SMTP ports, each trying the other port when one
fails (as an MTA tries its next MX). Every mail that got a 250 must become exactly one document,
served with its exact bytes by the web node, and only mails the dead node had in hand may have
been processed a second time (after its lease ran out), never two at once.
"""

from __future__ import annotations

import email.policy
import hashlib
import itertools
import smtplib
import threading
import time
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text

from tests.backends import BUCKET, S3_CREDENTIALS, MotoS3, PostgresCluster
from tests.builders import make_mail, make_pdf
from tests.service import Service, inbox_cli, wait_for

MAILS = 240
CLIENTS = 8
WORKERS_PER_NODE = 2
LEASE_SECONDS = 15  # short, so the dead node's mails come free within the test
SENDER = "billing@supplier.example"


@dataclass
class Sent:
    """What the clients saw: the 250s, and which port gave each."""

    accepted: dict[int, int] = field(default_factory=dict)  # mail number -> port
    lock: threading.Lock = field(default_factory=threading.Lock)
    half: threading.Event = field(default_factory=threading.Event)

    def record(self, number: int, port: int) -> None:
        with self.lock:
            self.accepted[number] = port
            if len(self.accepted) >= MAILS // 2:
                self.half.set()


def send(raw: bytes, recipient: str, ports: list[int], deadline: float) -> int:
    """Deliver like an MTA: try each port in turn until one answers 250; the port that did."""
    for port in itertools.cycle(ports):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no node accepted the mail ({ports})")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                refused = client.sendmail(SENDER, [recipient], raw)
            assert refused == {}
            return port
        except (OSError, smtplib.SMTPException):  # refused, reset, 4xx: the next MX
            time.sleep(0.05)
    raise AssertionError("unreachable")


def settled_outcome(database_url: str, account_id: str) -> tuple[list[tuple[str, str]], dict, int]:
    """Once no mail waits any more: (sha256, id) of every document, mails per status, and how
    many mails were claimed more than once."""
    engine = create_engine(database_url)
    try:

        def settled() -> bool:
            with engine.connect() as db:
                return not db.execute(text("SELECT 1 FROM message WHERE status = 'received'")).first()

        wait_for(settled, timeout=LEASE_SECONDS + 180, interval=0.5)
        with engine.connect() as db:
            documents = db.execute(
                text("SELECT sha256, id FROM document WHERE account_id = :a"), {"a": account_id}
            )
            statuses = db.execute(text("SELECT status, count(*) FROM message GROUP BY status"))
            retried = db.execute(text("SELECT count(*) FROM message WHERE attempts > 1"))
            return [tuple(row) for row in documents], dict(list(statuses)), retried.scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def shared(postgres: PostgresCluster, s3: MotoS3, monkeypatch: pytest.MonkeyPatch):
    database = postgres.create_database()
    env = {
        "INBOX_DATABASE_URL": postgres.url(database),
        "INBOX_BLOB_URL": f"s3://{BUCKET}/{database}",
        "INBOX_S3_ENDPOINT_URL": s3.endpoint,
        "INBOX_WORKERS": str(WORKERS_PER_NODE),
        "INBOX_PARSE_TIMEOUT": "10",
        "INBOX_CLAIM_LEASE": str(LEASE_SECONDS),
        **S3_CREDENTIALS,
    }
    yield env
    postgres.drop_database(database)


def test_two_nodes_share_the_work_and_a_killed_one_loses_nothing(tmp_path, shared):
    migrated = inbox_cli(tmp_path / "admin", "migrate", env=shared)
    assert migrated.returncode == 0, migrated.stderr
    nodes = [
        Service(tmp_path / f"node{n}", env=shared, roles="smtp,worker", own_process_group=True).start()
        for n in (1, 2)
    ]
    web = Service(tmp_path / "web", env=shared, roles="web").start()
    try:
        account = web.create_account("Acme", "owner@acme.example")
        pdfs = [make_pdf(["INVOICE", f"Invoice No. TN-{n:05d}", f"Total: {n}.00 EUR"]) for n in range(MAILS)]
        raws = [
            make_mail(
                to=account.inbox_address,
                subject=f"Invoice TN-{n:05d}",
                attachments=[(f"tn-{n:05d}.pdf", pdf, "application/pdf")],
            ).as_bytes(policy=email.policy.SMTP)
            for n, pdf in enumerate(pdfs)
        ]
        ports = [node.smtp_port for node in nodes]
        sent = Sent()
        deadline = time.monotonic() + 240

        def client(number: int) -> None:
            order = ports if number % 2 == 0 else ports[::-1]  # half the clients prefer each node
            for n in range(number, MAILS, CLIENTS):
                sent.record(n, send(raws[n], account.inbox_address, order, deadline))

        clients = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for thread in clients:
            thread.start()
        assert sent.half.wait(timeout=120), "half the mails were not accepted in time"
        nodes[0].kill_group()  # the node and its worker and extraction processes, mid-stream
        for thread in clients:
            thread.join()

        assert len(sent.accepted) == MAILS
        assert set(sent.accepted.values()) == set(ports)  # both nodes took mail

        documents, statuses, retried = settled_outcome(shared["INBOX_DATABASE_URL"], account.id)

        by_sha = {}
        for sha256, doc_id in documents:
            by_sha.setdefault(sha256, []).append(doc_id)
        for n, pdf in enumerate(pdfs):
            ids = by_sha.get(hashlib.sha256(pdf).hexdigest(), [])
            assert len(ids) == 1, f"mail {n}: {len(ids)} documents"
        assert len(documents) == MAILS
        assert set(statuses) <= {"processed", "no_documents"}, statuses  # resent copies: duplicates
        # Only the mails in the dead node's hands were taken over after its lease.
        assert retried <= WORKERS_PER_NODE, retried

        reader = web.client(account)
        for n in range(MAILS):  # over HTTP, byte for byte
            doc_id = by_sha[hashlib.sha256(pdfs[n]).hexdigest()][0]
            response = reader.get(f"/documents/{doc_id}/download")
            assert response.status_code == 200
            assert response.content == pdfs[n]
    finally:
        for service in (*nodes, web):
            if service.process and service.process.poll() is None:
                service.stop()
