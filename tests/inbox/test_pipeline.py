"""Processing over a real store and real extraction processes (no SMTP): contract points 2, 3, 6."""

from __future__ import annotations

import asyncio
import email.policy
import logging
import sqlite3
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from inbox import pipeline
from inbox.accept import Arrival, accept_batch
from inbox.extract.model import MailExtraction
from inbox.recipient import Delivery
from inbox.sandbox import Extracted, ExtractionPool
from storage import db
from storage.accounts import create_account
from storage.claims import new_worker_id
from storage.db import Store, open_store
from storage.messages import claim_for_reprocessing, part_logs
from storage.models import Document, Message
from storage.schema import migrate
from tests.backends import Backend
from tests.builders import make_inflating_pdf, make_mail, make_pdf, spooled

LEASE = timedelta(minutes=5)
WORKER = new_worker_id()


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    store = backend.open_store()
    migrate(store.engine)
    yield store
    store.engine.dispose()


@pytest.fixture
def account(store: Store):
    with store.session() as session:
        return create_account(session=session, name="Acme", email="a@acme.example", password="secret123")


def deliver(store: Store, account, raw: bytes) -> str:
    arrival = Arrival(spooled(store.blobs.spool_dir, raw), "s@x.example", [Delivery(account.id, "in@x")])
    [accepted] = accept_batch(store, [arrival])
    assert isinstance(accepted, list), accepted
    [message_id] = accepted
    return message_id


def process_all(store: Store, claimed: Message | None = None, **pool_options) -> None:
    """Process `claimed` (if given), then every received mail, with a real extraction pool."""
    options = {"size": 1, "timeout": 60, "memory_mb": 1024, **pool_options}

    async def run():
        pool = ExtractionPool(blobs=store.blobs, **options)
        try:
            message = claimed or pipeline.claim(store, WORKER, LEASE)
            while message is not None:
                await pipeline.process(store, pool, message)
                message = pipeline.claim(store, WORKER, LEASE)
        finally:
            pool.close()

    asyncio.run(run())


def message(store: Store, message_id: str) -> Message:
    with store.session() as session:
        found = session.get(Message, message_id)
    assert found is not None
    return found


def documents(store: Store) -> list[Document]:
    with store.session() as session:
        return list(session.exec(select(Document)).all())


def raw(mail) -> bytes:
    return mail.as_bytes(policy=email.policy.SMTP)


def test_the_same_file_again_is_a_duplicate_pointing_at_the_first(store, account):
    pdf = make_pdf(["Invoice 7"])
    first = deliver(
        store, account, raw(make_mail(subject="first", attachments=[("a.pdf", pdf, "application/pdf")]))
    )
    second = deliver(
        store, account, raw(make_mail(subject="again", attachments=[("copy.pdf", pdf, "application/pdf")]))
    )

    process_all(store)

    (doc,) = documents(store)
    assert doc.message_id == first
    with store.session() as session:
        (logged,) = [p for p in part_logs(session=session, message_id=second) if p.document_id]
    assert (logged.decision, logged.document_id) == ("duplicate", doc.id)
    assert message(store, second).status == "processed"


def test_a_sender_retrying_the_same_mail_adds_no_documents(store, account):
    mail = raw(
        make_mail(
            message_id="<retry-1@supplier.example>", attachments=[("a.pdf", make_pdf(), "application/pdf")]
        )
    )
    deliver(store, account, mail)
    deliver(store, account, mail)

    process_all(store)

    assert len(documents(store)) == 1


def test_the_same_file_twice_in_one_mail_is_stored_once(store, account):
    pdf = make_pdf()
    deliver(
        store,
        account,
        raw(make_mail(attachments=[("a.pdf", pdf, "application/pdf"), ("b.pdf", pdf, "application/pdf")])),
    )

    process_all(store)

    assert len(documents(store)) == 1


def test_reprocessing_keeps_document_ids(store, account):
    message_id = deliver(
        store, account, raw(make_mail(attachments=[("a.pdf", make_pdf(), "application/pdf")]))
    )
    process_all(store)
    (before,) = documents(store)

    with store.session() as session:
        claimed = claim_for_reprocessing(session=session, message_id=message_id, worker=WORKER, lease=LEASE)
    process_all(store, claimed)

    (after,) = documents(store)
    assert after.id == before.id
    assert message(store, message_id).status == "processed"


def test_a_mail_over_its_time_budget_fails_with_the_reason_and_the_next_mail_is_processed(store, account):
    slow = deliver(
        store, account, raw(make_mail(attachments=[("a.pdf", make_pdf(pages=40), "application/pdf")]))
    )

    process_all(store, timeout=0.001)
    assert message(store, slow).status == "failed"
    assert "time budget" in message(store, slow).reason

    fine = deliver(store, account, raw(make_mail(attachments=[("b.pdf", make_pdf(), "application/pdf")])))
    process_all(store)
    assert message(store, fine).status == "processed"
    assert store.blobs.exists(message(store, slow).raw_sha256)  # kept for reprocessing


def test_a_mail_over_its_memory_bound_fails_with_the_reason(store, account):
    huge = b"%PDF-1.4\n" + b"0" * (120 * 1024 * 1024)
    message_id = deliver(store, account, raw(make_mail(attachments=[("huge.pdf", huge, "application/pdf")])))

    process_all(store, memory_mb=600)

    failed = message(store, message_id)
    assert failed.status == "failed"
    assert "memory" in failed.reason


def test_a_part_that_kills_its_reader_costs_only_itself(store, account):
    # Issue 10, item 3: PDFium dies (no Python MemoryError) when the inflated page outgrows
    # the memory bound; a fresh child reads the invoice after it.
    attachments = [
        ("bomb.pdf", make_inflating_pdf(decoded_mb=300), "application/pdf"),
        ("good.pdf", make_pdf(["INVOICE", "Invoice No. INV-77", "Total: 50.00 EUR"]), "application/pdf"),
    ]
    message_id = deliver(store, account, raw(make_mail(attachments=attachments)))

    process_all(store, memory_mb=400)

    kept = message(store, message_id)
    assert kept.status == "processed", kept.reason
    assert "warning" in kept.reason and "bomb.pdf (corrupt)" in kept.reason
    with store.session() as session:
        parts = {log.filename: log for log in part_logs(session=session, message_id=message_id)}
    assert parts["bomb.pdf"].decision == "corrupt"
    assert "memory bound or crash" in parts["bomb.pdf"].reason
    assert parts["good.pdf"].decision == "document"
    assert [d.filename for d in documents(store)] == ["good.pdf"]


def test_transient_failures_back_off_with_the_mails_age_then_give_up():
    # Issue 10, item 4: first tries within seconds, a long outage hourly, never a tight loop.
    waits = [pipeline.retry_delay(timedelta(seconds=age)) for age in (0, 40, 480, 86_400)]
    assert waits == [timedelta(seconds=s) for s in (5, 10, 120, 3600)]
    assert pipeline.retry_delay(pipeline.RETRY_FOR) is None


class LetGoWhen(logging.Handler):
    """Commits `holder`'s transaction once a log line containing `text` is emitted."""

    def __init__(self, text: str, holder: sqlite3.Connection) -> None:
        super().__init__()
        self.text, self.holder = text, holder

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage() and self.holder.in_transaction:
            self.holder.execute("COMMIT")


def test_a_result_the_locked_database_refuses_is_tried_again_not_failed(tmp_path, monkeypatch):
    # Issue 10, item 4: a database that cannot take the result is not the mail's fault.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    store = open_store(tmp_path / "data")
    migrate(store.engine)
    with store.session() as session:
        account = create_account(session=session, name="Acme", email="a@acme.example", password="secret123")
    message_id = deliver(store, account, b"Subject: x\r\n\r\nno attachment\r\n")
    claimed = pipeline.claim(store, WORKER, LEASE)
    assert claimed is not None and claimed.id == message_id
    nothing = MailExtraction("s@x.example", "x", "<m@x>", None, "no attachment", "", ())
    holder = sqlite3.connect(tmp_path / "data" / "inbox.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's lock past the busy timeout
    # ... and lets go once recording has given up, so that the retry can be noted
    let_go = LetGoWhen("could not record id=", holder)
    logging.getLogger(pipeline.__name__).addHandler(let_go)
    try:
        status = pipeline.record(store, message_id, WORKER, Extracted(mail=nothing, blobs={}))
    finally:
        logging.getLogger(pipeline.__name__).removeHandler(let_go)
        holder.close()
    deferred = message(store, message_id)
    store.engine.dispose()
    assert status == "received"
    assert (deferred.status, deferred.claimed_by) == ("received", None)
    assert deferred.reason.startswith("will try again: could not record the result"), deferred.reason
    assert "locked" in deferred.reason


def test_an_account_row_gone_is_not_a_crash_of_the_worker(store, account):
    message_id = deliver(store, account, b"Subject: x\r\n\r\nno attachment\r\n")

    process_all(store)

    assert message(store, message_id).status == "no_documents"


SAMPLE = raw(make_mail(attachments=[("a.pdf", make_pdf(), "application/pdf")]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(0, len(SAMPLE)),
    flips=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=20),
)
def test_mutated_mails_always_end_in_a_final_status_and_keep_their_raw_bytes(tmp_path_factory, cut, flips):
    store = open_store(tmp_path_factory.mktemp("data"))
    migrate(store.engine)
    with store.session() as session:
        account = create_account(session=session, name="A", email="a@a.example", password="secret123")
    mutated = bytearray(SAMPLE[:cut])
    for position, value in flips:
        if position < len(mutated):
            mutated[position] = value

    message_id = deliver(store, account, bytes(mutated))
    process_all(store)

    final = message(store, message_id)
    assert final.status in ("processed", "no_documents", "failed")
    assert store.blobs.read(final.raw_sha256) == bytes(mutated)
    store.engine.dispose()
