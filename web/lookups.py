"""One document or mail of the caller's account; any other id raises NotFound (a 404)."""

from __future__ import annotations

from storage.db import Store
from storage.documents import get_document
from storage.messages import get_message
from storage.read_models import DocumentRead, MessageRead
from web.deps import Caller


def document_of(store: Store, caller: Caller, document_id: str) -> DocumentRead:
    with store.session() as session:
        return get_document(session=session, account_id=caller.account.id, document_id=document_id)


def message_of(store: Store, caller: Caller, message_id: str) -> MessageRead:
    with store.session() as session:
        return get_message(session=session, account_id=caller.account.id, message_id=message_id)
