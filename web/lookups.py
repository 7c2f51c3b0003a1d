"""One document or mail of the caller's account, or the 404 every other id gets."""

from __future__ import annotations

from storage.db import Store
from storage.documents import get_document
from storage.errors import NotFound
from storage.messages import get_message
from storage.models import Document, Message
from web.deps import Caller
from web.errors import not_found


def document_of(store: Store, caller: Caller, document_id: str) -> Document:
    with store.session() as session:
        try:
            return get_document(session=session, account_id=caller.account.id, document_id=document_id)
        except NotFound as err:
            raise not_found() from err


def message_of(store: Store, caller: Caller, message_id: str) -> Message:
    with store.session() as session:
        try:
            return get_message(session=session, account_id=caller.account.id, message_id=message_id)
        except NotFound as err:
            raise not_found() from err
