"""The JSON API, over the same scoped queries as the pages."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from storage.documents import get_document, list_documents
from storage.errors import NotFound
from storage.messages import document_ids_by_message, get_message, list_messages, part_logs
from storage.pagination import BadCursor
from web.deps import ApiCaller, StoreDep
from web.views import document_json, message_json, part_json

router = APIRouter(prefix="/api")
Limit = Query(50, ge=1, le=200)


@router.get("/documents")
def api_documents(caller: ApiCaller, store: StoreDep, cursor: str | None = None, limit: int = Limit) -> dict:
    with store.session() as session:
        try:
            rows, next_cursor = list_documents(
                session=session, account_id=caller.account.id, cursor=cursor, limit=limit
            )
        except BadCursor as err:
            raise HTTPException(status_code=400, detail=str(err)) from err
        return {"items": [document_json(doc) for doc in rows], "next_cursor": next_cursor}


@router.get("/documents/{document_id}")
def api_document(document_id: str, caller: ApiCaller, store: StoreDep) -> dict:
    with store.session() as session:
        try:
            return document_json(
                get_document(session=session, account_id=caller.account.id, document_id=document_id)
            )
        except NotFound as err:
            raise HTTPException(status_code=404, detail="no such document") from err


@router.get("/messages")
def api_messages(caller: ApiCaller, store: StoreDep, cursor: str | None = None, limit: int = Limit) -> dict:
    with store.session() as session:
        try:
            rows, next_cursor = list_messages(
                session=session, account_id=caller.account.id, cursor=cursor, limit=limit
            )
        except BadCursor as err:
            raise HTTPException(status_code=400, detail=str(err)) from err
        documents = document_ids_by_message(session=session, message_ids=[m.id for m in rows])
        return {
            "items": [message_json(m, documents[m.id]) for m in rows],
            "next_cursor": next_cursor,
        }


@router.get("/messages/{message_id}")
def api_message(message_id: str, caller: ApiCaller, store: StoreDep) -> dict:
    with store.session() as session:
        try:
            message = get_message(session=session, account_id=caller.account.id, message_id=message_id)
        except NotFound as err:
            raise HTTPException(status_code=404, detail="no such message") from err
        parts = part_logs(session=session, message_id=message.id)
        document_ids = [p.document_id for p in parts if p.document_id]
        return {**message_json(message, document_ids), "parts": [part_json(p) for p in parts]}
