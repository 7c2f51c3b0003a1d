"""The trash on a real SQLite store: deleted documents leave the list, come back on restore,
and are purged after KEEP_DAYS with the files no other document uses."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from storage.corrections import Edit, apply_edit, history
from storage.db import Store, open_store
from storage.document_search import DocumentFilter, search_documents
from storage.errors import NotFound
from storage.models import Document, DocumentTag, Message, utcnow
from storage.schema import migrate
from storage.trash import KEEP_DAYS, list_trash, move_to_trash, purge_expired, restore
from tests.storage.test_document_search import add_account


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "data")
    migrate(store.engine)
    return store


def add_file(store: Store, account_id: str, data: bytes, name: str) -> str:
    sha256 = store.blobs.put(data)
    with store.session() as session:
        message = Message(account_id=account_id, raw_sha256="0" * 64, raw_size=1)
        session.add(message)
        session.flush()
        doc = Document(
            account_id=account_id, message_id=message.id, part_path="1", sha256=sha256, filename=name,
            content_type="application/pdf", kind="pdf", size=len(data),
        )  # fmt: skip
        session.add(doc)
        session.flush()
        return doc.id


def listed(store: Store, account_id: str) -> list[str]:
    with store.session() as session:
        rows, _ = search_documents(session=session, account_id=account_id, filters=DocumentFilter())
    return sorted(d.filename for d in rows)


def test_delete_restore_and_purge_after_the_keeping_time(store: Store) -> None:
    account = add_account(store, "acme")
    old = add_file(store, account, b"%PDF-old", "old.pdf")
    shared = add_file(store, account, b"%PDF-shared", "shared.pdf")
    again = add_file(store, account, b"%PDF-shared", "shared-again.pdf")  # the same bytes
    with store.session() as session:
        apply_edit(
            session=session, account_id=account, document_id=old, user_email="a@x", edit=Edit(tags=["q1"])
        )
        assert (
            move_to_trash(session=session, account_id=account, document_ids=[old, shared], user_email="a@x")
            == 2
        )

    assert listed(store, account) == ["shared-again.pdf"]
    with store.session() as session:
        assert [d.filename for d, _ in list_trash(session=session, account_id=account)] != []
        restore(session=session, account_id=account, document_id=shared, user_email="b@x")
        assert [c.field for c in history(session, shared)] == ["restored", "deleted"]
        move_to_trash(session=session, account_id=account, document_ids=[shared], user_email="b@x")

    assert purge_expired(store, now=utcnow() + timedelta(days=KEEP_DAYS - 1)) == 0
    assert purge_expired(store, now=utcnow() + timedelta(days=KEEP_DAYS, minutes=1)) == 2

    with store.session() as session:
        assert session.get(Document, old) is None and session.get(Document, shared) is None
        assert session.get(DocumentTag, (old, "q1")) is None
        assert session.get(Document, again) is not None
    old_sha = hashlib.sha256(b"%PDF-old").hexdigest()
    shared_sha = hashlib.sha256(b"%PDF-shared").hexdigest()
    assert not store.blobs.exists(old_sha)
    assert store.blobs.exists(shared_sha)  # still the file of shared-again.pdf
    assert listed(store, account) == ["shared-again.pdf"]


def test_another_account_can_neither_trash_nor_restore(store: Store) -> None:
    mine, theirs = add_account(store, "mine"), add_account(store, "theirs")
    doc = add_file(store, mine, b"%PDF-mine", "mine.pdf")
    with store.session() as session, pytest.raises(NotFound):
        move_to_trash(session=session, account_id=theirs, document_ids=[doc], user_email="x@y")
    with store.session() as session:
        move_to_trash(session=session, account_id=mine, document_ids=[doc], user_email="me@y")
    with store.session() as session, pytest.raises(NotFound):
        restore(session=session, account_id=theirs, document_id=doc, user_email="x@y")
    with store.session() as session:
        assert list_trash(session=session, account_id=theirs) == []
