"""The first JSON routes, `/api/documents` and `/api/messages`: kept working with their shapes
(errors as `{"detail": ...}`), now over the same list query and schemas as /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from web.api.listing import document_page, message_detail, message_page
from web.api.schemas import DocumentOut, DocumentPage, MessageDetail, MessagePage
from web.deps import ApiCaller, StoreDep
from web.listing import filter_from_query
from web.lookups import document_of

router = APIRouter(prefix="/api", include_in_schema=False)
Limit = Query(50, ge=1, le=200)


@router.get("/documents")
def api_documents(
    request: Request, caller: ApiCaller, store: StoreDep, cursor: str | None = None, limit: int = Limit
) -> DocumentPage:
    return document_page(store, caller, filter_from_query(request.query_params), cursor, limit)


@router.get("/documents/{document_id}")
def api_document(document_id: str, caller: ApiCaller, store: StoreDep) -> DocumentOut:  # type: ignore[valid-type]
    return DocumentOut.model_validate(document_of(store, caller, document_id))


@router.get("/messages")
def api_messages(
    caller: ApiCaller, store: StoreDep, cursor: str | None = None, limit: int = Limit
) -> MessagePage:
    return message_page(store, caller, cursor, limit)


@router.get("/messages/{message_id}")
def api_message(message_id: str, caller: ApiCaller, store: StoreDep) -> MessageDetail:
    return message_detail(store, caller, message_id)
