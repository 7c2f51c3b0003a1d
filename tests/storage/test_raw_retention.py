"""INBOX_RAW_RETENTION_DAYS on the store: which raw mails go, and that a blob another message
still needs stays (the same mail sent to two accounts is one blob)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from hashlib import sha256

import pytest
from sqlmodel import select

from storage.db import Store
from storage.models import Message, utcnow
from storage.raw_retention import remove_old_raw_mails
from storage.schema import migrate
from tests.backends import Backend
from tests.storage.test_document_search import add_account
from vocabulary import MessageStatus


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    store = backend.open_store()
    migrate(store.engine)
    yield store
    store.engine.dispose()


def add_message(
    store: Store, account_id: str, raw: bytes, *, days_ago: int, status: str, source: str = "mail"
) -> str:
    sha256 = store.blobs.put(raw)
    with store.session() as session:
        message = Message(
            account_id=account_id, raw_sha256=sha256, raw_size=len(raw), status=status, source=source,
            received_at=utcnow() - timedelta(days=days_ago),
        )  # fmt: skip
        session.add(message)
        session.flush()
        return message.id


def test_only_old_processed_mails_lose_their_raw_and_shared_blobs_stay(store: Store):
    acme, other = add_account(store, "acme"), add_account(store, "other")
    old = add_message(store, acme, b"old mail", days_ago=40, status=MessageStatus.PROCESSED)
    shared_old = add_message(store, acme, b"shared mail", days_ago=40, status=MessageStatus.NO_DOCUMENTS)
    shared_new = add_message(store, other, b"shared mail", days_ago=1, status=MessageStatus.PROCESSED)
    waiting = add_message(store, acme, b"waiting mail", days_ago=40, status=MessageStatus.RECEIVED)
    upload = add_message(
        store, acme, b"%PDF upload", days_ago=40, status=MessageStatus.PROCESSED, source="upload"
    )

    assert remove_old_raw_mails(store, days=30) == 2
    assert remove_old_raw_mails(store, days=30) == 0  # done once

    with store.session() as session:
        removed = {m.id: m.raw_removed_at is not None for m in session.exec(select(Message))}
    assert removed == {old: True, shared_old: True, shared_new: False, waiting: False, upload: False}
    assert not store.blobs.exists(sha256(b"old mail").hexdigest())
    for kept in (b"shared mail", b"waiting mail", b"%PDF upload"):
        assert store.blobs.exists(sha256(kept).hexdigest()), kept
