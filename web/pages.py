"""HTML pages: documents, one document, the mail log, one mail, the inbox address."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from storage.documents import documents_of_message, get_document, list_documents
from storage.errors import NotFound
from storage.messages import document_ids_by_message, get_message, list_messages, part_logs
from storage.pagination import BadCursor
from web.deps import PageCaller, StoreDep
from web.templating import render

router = APIRouter()
PAGE_SIZE = 50


@router.get("/")
def home() -> Response:
    return RedirectResponse("/documents", status_code=303)


@router.get("/documents")
def documents_page(
    request: Request, caller: PageCaller, store: StoreDep, cursor: str | None = None
) -> Response:
    with store.session() as session:
        try:
            rows, next_cursor = list_documents(
                session=session, account_id=caller.account.id, cursor=cursor, limit=PAGE_SIZE
            )
        except BadCursor as err:
            raise HTTPException(status_code=400, detail=str(err)) from err
    return render(
        request,
        "documents.html",
        caller=caller,
        address=_address(request, caller),
        documents=rows,
        next_cursor=next_cursor,
        first_page=cursor is None,
    )


@router.get("/documents/{document_id}")
def document_page(
    document_id: str, request: Request, caller: PageCaller, store: StoreDep
) -> Response:
    with store.session() as session:
        try:
            doc = get_document(
                session=session, account_id=caller.account.id, document_id=document_id
            )
        except NotFound as err:
            raise HTTPException(status_code=404, detail="no such document") from err
    return render(request, "document.html", caller=caller, doc=doc)


@router.get("/messages")
def messages_page(
    request: Request, caller: PageCaller, store: StoreDep, cursor: str | None = None
) -> Response:
    with store.session() as session:
        try:
            rows, next_cursor = list_messages(
                session=session, account_id=caller.account.id, cursor=cursor, limit=PAGE_SIZE
            )
        except BadCursor as err:
            raise HTTPException(status_code=400, detail=str(err)) from err
        documents = document_ids_by_message(session=session, message_ids=[m.id for m in rows])
    return render(
        request,
        "messages.html",
        caller=caller,
        messages=rows,
        documents=documents,
        next_cursor=next_cursor,
        first_page=cursor is None,
        address=_address(request, caller),
    )


@router.get("/messages/{message_id}")
def message_page(
    message_id: str, request: Request, caller: PageCaller, store: StoreDep
) -> Response:
    with store.session() as session:
        try:
            message = get_message(
                session=session, account_id=caller.account.id, message_id=message_id
            )
        except NotFound as err:
            raise HTTPException(status_code=404, detail="no such mail") from err
        parts = part_logs(session=session, message_id=message.id)
        docs = documents_of_message(
            session=session, account_id=caller.account.id, message_id=message.id
        )
    return render(
        request, "message.html", caller=caller, message=message, parts=parts, documents=docs
    )


@router.get("/inbox")
def inbox_page(request: Request, caller: PageCaller) -> Response:
    return render(request, "inbox.html", caller=caller, address=_address(request, caller))


def _address(request: Request, caller) -> str:
    return request.app.state.settings.inbox_address(caller.account.inbox_local)
