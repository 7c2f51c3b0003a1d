"""Durable accept on a real SQLite file and blob directory: blobs first, then one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from inbox.accept import AcceptError, Arrival, DurableAccept, accept_batch
from inbox.recipient import Delivery
from storage.accounts import create_account
from storage.db import Store, open_store
from storage.models import Message
from storage.schema import migrate
from tests.builders import spooled


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "data")
    migrate(store.engine)
    yield store
    store.engine.dispose()


def deliveries(store: Store, *names: str) -> list[Delivery]:
    with store.session() as session:
        accounts = [
            create_account(session=session, name=n, email=f"{n}@example.org", password="pw-12345")
            for n in names
        ]
    return [Delivery(account_id=a.id, envelope_to=f"{a.inbox_local}@inbox.localhost") for a in accounts]


def test_a_batch_becomes_blobs_and_one_row_per_account_and_mail(store: Store) -> None:
    acme, both = deliveries(store, "acme"), deliveries(store, "x", "y")
    first, second = (
        spooled(store.blobs.spool_dir, b"Subject: 1\r\n\r\none\r\n"),
        spooled(store.blobs.spool_dir, b"two\r\n"),
    )

    ids = accept_batch(store, [Arrival(first, "a@b.example", acme), Arrival(second, "", both)])

    assert [len(i) for i in ids] == [1, 2]
    for spool, raw in ((first, b"Subject: 1\r\n\r\none\r\n"), (second, b"two\r\n")):
        assert store.blobs.read(spool.sha256) == raw
        assert not spool.path.exists()  # renamed into place, not copied
    with store.session() as session:
        rows = {m.id: m for m in session.exec(select(Message)).all()}
    assert set(rows) == {*ids[0], *ids[1]}
    assert {(rows[i].raw_sha256, rows[i].raw_size) for i in ids[1]} == {(second.sha256, 5)}


def test_concurrent_mails_are_accepted_in_batches_each_getting_its_own_ids(store: Store) -> None:
    acme = deliveries(store, "acme")
    raws = [f"mail {n}\r\n".encode() for n in range(20)]
    accept = DurableAccept(store)

    async def send_all() -> list[list[str]]:
        return await asyncio.gather(*(accept(spooled(store.blobs.spool_dir, r), "", acme) for r in raws))

    ids = asyncio.run(send_all())

    with store.session() as session:
        rows = {m.id: m for m in session.exec(select(Message)).all()}
    assert len(rows) == 20
    for [message_id], raw in zip(ids, raws, strict=True):
        assert store.blobs.read(rows[message_id].raw_sha256) == raw


def test_a_mail_whose_file_cannot_be_made_durable_gets_no_row(store: Store) -> None:
    acme = deliveries(store, "acme")
    gone = spooled(store.blobs.spool_dir, b"gone\r\n")
    gone.path.unlink()  # e.g. the spool file vanished: the sender must retry

    with pytest.raises(AcceptError, match="FileNotFoundError"):
        asyncio.run(DurableAccept(store)(gone, "", acme))

    with store.session() as session:
        assert session.exec(select(Message)).all() == []
