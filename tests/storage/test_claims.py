"""Claims with a lease over a real database (SQLite, PostgreSQL), each claimer on its own engine as a
process would be."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from inbox import pipeline
from inbox.sandbox import ExtractionFailed
from storage.accounts import create_account
from storage.claims import new_worker_id
from storage.db import Store
from storage.errors import ClaimLost, Conflict
from storage.messages import claim_for_reprocessing, record_received
from storage.models import Message
from storage.outcomes import Outcome, record_outcome
from storage.schema import migrate
from tests.backends import Backend

LEASE = timedelta(minutes=5)


@pytest.fixture
def data(backend: Backend) -> Backend:
    store = backend.open_store()
    migrate(store.engine)
    store.engine.dispose()
    return backend


@pytest.fixture
def store(data: Backend) -> Iterator[Store]:
    store = data.open_store()
    yield store
    store.engine.dispose()


def receive(store: Store, count: int) -> list[str]:
    with store.session() as session:
        account = create_account(
            session=session, name="A", email=f"{secrets.token_hex(4)}@a.example", password="pw-12345"
        )
        messages = [
            record_received(
                session=session,
                raw_sha256="0" * 64,
                raw_size=1,
                envelope_from="s@x.example",
                envelope_to_by_account={account.id: "in@x"},
            )[0]
            for _ in range(count)
        ]
        session.flush()
        return [m.id for m in messages]


def holder(store: Store, message_id: str) -> str | None:
    with store.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.claimed_by


def claim_id(store: Store, worker: str, lease: timedelta = LEASE) -> str | None:
    message = pipeline.claim(store, worker, lease)
    return None if message is None else message.id


def dead_pid() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    return int(process.stdout)


def test_workers_claiming_at_once_each_get_a_different_mail_and_none_comes_back_empty(
    data: Backend, store: Store
) -> None:
    workers = 8
    ids = receive(store, workers)
    stores = [data.open_store() for _ in range(workers)]
    start = threading.Barrier(workers)
    got: list[Message | None] = [None] * workers

    def work(n: int) -> None:
        start.wait()
        got[n] = pipeline.claim(stores[n], f"w{n}:{n}:x", LEASE)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for s in stores:
        s.engine.dispose()
    # Work was waiting for every one of them: a loser of a race must have tried again, not given up.
    claimed = [m.id for m in got if m is not None]
    assert len(claimed) == workers
    assert sorted(claimed) == sorted(ids)
    assert {holder(store, m) for m in claimed} == {f"w{n}:{n}:x" for n in range(workers)}


def test_two_worker_processes_never_claim_the_same_mail(data: Backend, store: Store) -> None:
    ids = receive(store, 60)
    script = (
        "import sys; from datetime import timedelta; from pathlib import Path\n"
        "from inbox import pipeline; from storage.db import open_store\n"
        "store = open_store(Path(sys.argv[1]), sys.argv[3] or None); me = sys.argv[2]\n"
        "while (m := pipeline.claim(store, me, timedelta(minutes=5))) is not None: print(m.id, flush=True)\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(data.data_dir), f"p{n}:{n}:x", data.database_url or ""],
            stdout=subprocess.PIPE,
        )
        for n in range(2)
    ]
    claimed = [p.communicate(timeout=120)[0].decode().split() for p in processes]
    assert all(p.returncode == 0 for p in processes)
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)  # each mail once, by one of them
    assert not set(claimed[0]) & set(claimed[1])


def test_a_restart_leaves_a_live_claim_of_another_worker_alone(store: Store) -> None:
    (message_id,) = receive(store, 1)
    other = f"{socket.gethostname()}:{os.getpid()}:other"  # alive: this very process
    assert claim_id(store, other) == message_id

    restarted = new_worker_id()
    assert pipeline.release_orphans(store) == 0
    assert pipeline.claim(store, restarted, LEASE) is None
    assert pipeline.release_own(store, restarted) == 0  # shutting down gives back only its own
    assert holder(store, message_id) == other
    with store.session() as session, pytest.raises(Conflict):
        claim_for_reprocessing(session=session, message_id=message_id, worker=restarted, lease=LEASE)


def test_a_claim_of_a_worker_that_died_on_this_host_is_free_at_once(store: Store) -> None:
    (message_id,) = receive(store, 1)
    dead = f"{socket.gethostname()}:{dead_pid()}:gone"
    pipeline.claim(store, dead, LEASE)
    elsewhere_id = receive(store, 1)[0]
    elsewhere = f"another-host:{dead_pid()}:live"  # a pid says nothing about another machine
    assert claim_id(store, elsewhere) == elsewhere_id

    assert pipeline.release_orphans(store) == 1

    assert claim_id(store, "new:1:x") == message_id
    assert holder(store, elsewhere_id) == elsewhere


def test_an_expired_lease_is_taken_over_by_anyone(store: Store) -> None:
    (message_id,) = receive(store, 1)
    pipeline.claim(store, "another-host:1:old", timedelta(seconds=-1))

    taken = pipeline.claim(store, "new:2:x", LEASE)

    # Not counted against the mail: the worker's machine may have gone down (issue 10, item 5).
    assert taken is not None and taken.id == message_id and taken.attempts == 0
    assert holder(store, message_id) == "new:2:x"


def test_an_account_share_counts_only_the_claiming_workers_own_slots(store: Store) -> None:
    """A share of one: this worker holds at most one of the account's mails at a time, while
    another node's claims, live or left behind by a node that died, never block it (the dead
    node's expired claim is taken over instead)."""
    first, second, third = receive(store, 3)
    assert claim_id(store, "other-node:2:live") == first  # live, on another node
    assert claim_id(store, "dead-node:1:old", timedelta(seconds=-1)) == second  # its lease ran out

    taken = pipeline.claim(store, "this-node:3:x", LEASE, 1)
    assert taken is not None and taken.id == second  # the dead node's mail
    assert pipeline.claim(store, "this-node:3:x", LEASE, 1) is None  # its share is used up
    assert claim_id(store, "other-node:4:y") == third


def test_shutdown_releases_its_own_claims_only(store: Store) -> None:
    mine, theirs = receive(store, 2)
    assert claim_id(store, "me:1:x") == mine
    assert claim_id(store, "another-host:1:y") == theirs

    assert pipeline.release_own(store, "me:1:x") == 1

    assert holder(store, mine) is None and holder(store, theirs) == "another-host:1:y"
    assert claim_id(store, "next:1:z") == mine


def test_reprocessing_claims_the_mail_for_the_caller(store: Store) -> None:
    (message_id,) = receive(store, 1)
    with store.session() as session:
        message = claim_for_reprocessing(
            session=session, message_id=message_id, worker="cli:1:x", lease=LEASE
        )
    assert message.claimed_by == "cli:1:x" and message.status == "received"
    assert pipeline.claim(store, "worker:1:y", LEASE) is None  # no worker races the reprocessing


def status_of(store: Store, message_id: str) -> tuple[str, str, str | None]:
    with store.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.status, message.reason, message.claimed_by


def nothing_found() -> Outcome:
    return Outcome(
        sender="s@x.example", subject="s", message_id="<m@x>", text_body="", html_body="", parts=[]
    )


def test_a_worker_stalled_past_its_lease_drops_its_result_and_the_new_holders_stands(store: Store) -> None:
    (message_id,) = receive(store, 1)
    stalled, successor = "stalled-node:1:x", "live-node:2:y"
    pipeline.claim(store, stalled, timedelta(seconds=-1))  # its lease ran out while it worked
    assert claim_id(store, successor) == message_id

    with store.session() as session, pytest.raises(ClaimLost):
        record_outcome(session=session, message_id=message_id, worker=stalled, outcome=nothing_found())
    assert pipeline.record(store, message_id, stalled, ExtractionFailed("it crashed")) is None
    assert pipeline.record(store, message_id, stalled, ExtractionFailed("no space", transient=True)) is None
    assert status_of(store, message_id) == ("received", "", successor)  # untouched

    with store.session() as session:
        record_outcome(session=session, message_id=message_id, worker=successor, outcome=nothing_found())
    status = status_of(store, message_id)
    assert status[0] == "no_documents" and status[2] is None
    # Late again, after the successor finished: still dropped, the finished result stands.
    assert pipeline.record(store, message_id, stalled, ExtractionFailed("it crashed")) is None
    assert status_of(store, message_id) == status


def test_a_worker_past_its_lease_that_nobody_took_over_still_records(store: Store) -> None:
    (first,) = receive(store, 1)
    assert claim_id(store, "slow-node:1:x", timedelta(seconds=-1)) == first
    assert pipeline.record(store, first, "slow-node:1:x", ExtractionFailed("unreadable")) == "failed"
    (second,) = receive(store, 1)
    assert claim_id(store, "slow-node:1:x", timedelta(seconds=-1)) == second
    assert (
        pipeline.record(store, second, "slow-node:1:x", ExtractionFailed("busy", transient=True))
        == "received"
    )

    assert status_of(store, first) == ("failed", "unreadable", None)
    assert status_of(store, second)[1:] == ("will try again: busy", None)


def test_an_outage_is_not_the_mails_fault_until_it_outlasts_a_senders_queue(store: Store) -> None:
    recent, old = receive(store, 2)
    with store.session() as session:
        message = session.get(Message, old)
        assert message is not None
        message.received_at -= pipeline.RETRY_FOR
    outage = ExtractionFailed("blob store unavailable", transient=True)
    for message_id in (old, recent):
        assert claim_id(store, "w:1:x") == message_id  # the oldest first

        pipeline.record(store, message_id, "w:1:x", outage)

    assert status_of(store, recent) == ("received", "will try again: blob store unavailable", None)
    assert status_of(store, old) == (
        "failed",
        "gave up after 5 days of retries: blob store unavailable",
        None,
    )
