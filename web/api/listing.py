"""What both API versions answer: pages of documents and mails, one mail with its log."""

from __future__ import annotations

from storage.db import Store
from storage.document_search import DocumentFilter, search_documents
from storage.messages import list_messages, part_logs
from web.api.schemas import DocumentPage, MessageDetail, MessagePage, message_detail_out
from web.deps import Caller
from web.lookups import message_of


def document_page(
    store: Store, caller: Caller, filters: DocumentFilter, cursor: str | None, limit: int
) -> DocumentPage:
    """The documents list: the same query, filters, sorts and cursor as the HTML page."""
    with store.session() as session:
        rows, next_cursor = search_documents(
            session=session, account_id=caller.account.id, filters=filters, cursor=cursor, limit=limit
        )
    return DocumentPage.model_validate({"items": rows, "next_cursor": next_cursor}, from_attributes=True)


def message_page(store: Store, caller: Caller, cursor: str | None, limit: int) -> MessagePage:
    with store.session() as session:
        rows, next_cursor = list_messages(
            session=session, account_id=caller.account.id, cursor=cursor, limit=limit
        )
    return MessagePage.model_validate({"items": rows, "next_cursor": next_cursor}, from_attributes=True)


def message_detail(store: Store, caller: Caller, message_id: str) -> MessageDetail:
    message = message_of(store, caller, message_id)
    with store.session() as session:
        parts = part_logs(session=session, message_id=message.id)
    return message_detail_out(message, parts)
