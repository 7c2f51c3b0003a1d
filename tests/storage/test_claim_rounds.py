"""A worker's round (pipeline.settle): the results that came in are recorded and the free slots
claimed in one transaction, on a real database (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event

from inbox import pipeline
from inbox.extract.model import Decision, DocumentKind, MailExtraction, Part
from inbox.sandbox import Extracted, ExtractionFailed
from storage.db import Store
from storage.models import Message
from tests.storage.test_claims import receive

LEASE = timedelta(minutes=5)
WORKER = "this-node:1:x"


@pytest.fixture
def commits(store: Store) -> Iterator[list[int]]:
    """One entry per transaction the store commits."""
    seen: list[int] = []

    def count(_connection) -> None:
        seen.append(1)

    event.listen(store.engine, "commit", count)
    yield seen
    event.remove(store.engine, "commit", count)


def read(subject: str = "Invoice", parts: tuple[Part, ...] = ()) -> Extracted:
    mail = MailExtraction(
        sender="s@x.example", subject=subject, message_id="<m@x>", date=None,
        text_body="", html_body="", parts=parts,
    )  # fmt: skip
    return Extracted(mail=mail, blobs={part.path: "1" * 64 for part in parts})


def row(store: Store, message_id: str) -> Message:
    with store.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_a_round_records_every_result_and_claims_the_free_slots_in_one_commit(
    store: Store, commits: list[int]
) -> None:
    first, second, third, fourth, fifth = receive(store, 5)
    opening = pipeline.settle(store, WORKER, {}, 3, LEASE)
    assert [job.message.id for job in opening.claimed] == [first, second, third]
    assert all(job.hints == {} for job in opening.claimed)
    commits.clear()

    settled = pipeline.settle(store, WORKER, {first: read(), second: read()}, 2, LEASE)

    assert len(commits) == 1
    assert settled.statuses == {first: "no_documents", second: "no_documents"}
    assert [job.message.id for job in settled.claimed] == [fourth, fifth]
    assert all(row(store, m).claimed_by == WORKER for m in (third, fourth, fifth))
    assert row(store, first).claimed_by is None and row(store, first).subject == "Invoice"


def test_claims_of_one_round_respect_the_account_share(store: Store) -> None:
    busy = receive(store, 4)  # the oldest mails, all one account's
    other = receive(store, 2)

    settled = pipeline.settle(store, WORKER, {}, 4, LEASE, account_share=2)

    # Without the share the round would take the busy account's four oldest.
    assert [job.message.id for job in settled.claimed] == busy[:2] + other
    again = pipeline.settle(store, WORKER, {busy[0]: read()}, 1, LEASE, account_share=2)
    assert [job.message.id for job in again.claimed] == [busy[2]]  # a slot of its share came free


def test_a_lost_claim_drops_only_that_mails_result(store: Store) -> None:
    kept, lost = receive(store, 2)
    pipeline.settle(store, WORKER, {}, 1, LEASE)
    pipeline.settle(store, "stalled-node:2:y", {}, 1, timedelta(seconds=-1))
    assert pipeline.claim(store, "successor:3:z", LEASE) is not None  # took the stalled one's

    settled = pipeline.settle(store, WORKER, {kept: read("kept")}, 0, LEASE)
    dropped = pipeline.settle(store, "stalled-node:2:y", {lost: read("late")}, 0, LEASE)

    assert settled.statuses == {kept: "no_documents"} and dropped.statuses == {lost: None}
    assert row(store, lost).claimed_by == "successor:3:z" and row(store, lost).subject == ""


def test_a_result_that_cannot_be_recorded_fails_alone_and_the_rest_of_the_round_stands(store: Store) -> None:
    good, broken, failed = receive(store, 3)
    pipeline.settle(store, WORKER, {}, 3, LEASE)
    no_kind = Part(
        path="2", declared_type="application/pdf", detected_type="application/pdf", filename="a.pdf",
        size=3, decision=Decision.DOCUMENT, reason="", kind=None,
    )  # fmt: skip
    invoice = Part(
        path="2", declared_type="application/pdf", detected_type="application/pdf", filename="b.pdf",
        size=3, decision=Decision.DOCUMENT, reason="", kind=DocumentKind.PDF,
    )  # fmt: skip

    results: dict[str, Extracted | ExtractionFailed] = {
        good: read(parts=(invoice,)),
        broken: read(parts=(no_kind,)),
        failed: ExtractionFailed("unreadable"),
    }

    settled = pipeline.settle(store, WORKER, results, 0, LEASE)

    assert settled.statuses == {good: "processed", broken: "failed", failed: "failed"}
    assert "no kind" in row(store, broken).reason
    assert row(store, good).reason == "1 document(s) stored"
