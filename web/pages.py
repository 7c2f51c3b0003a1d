"""HTML pages: documents, one document, the mail log, one mail, the inbox address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from storage.corrections import account_tags, history
from storage.db import Store
from storage.document_search import count_documents, previous_page_cursor, search_documents
from storage.documents import documents_of_message, get_document, same_number_documents
from storage.messages import list_messages, part_logs, raw_mail, requeue
from storage.rejections import recent_rejections
from vocabulary import InvoiceType, MessageStatus
from web.deps import Caller, EditorForm, PageCaller, StoreDep
from web.downloads import blob_response
from web.filenames import content_disposition
from web.listing import filter_from_query, is_filtered, sort_query, to_query
from web.lookups import message_of
from web.templating import render

router = APIRouter()
PAGE_SIZE = 50
COUNT_UP_TO = 10_000  # beyond this the list says "more than 10,000": counting all costs time


@router.get("/")
def home() -> Response:
    return RedirectResponse("/documents", status_code=303)


@router.get("/documents")
def documents_page(
    request: Request, caller: PageCaller, store: StoreDep, cursor: str | None = None, done: str = ""
) -> Response:
    filters = filter_from_query(request.query_params)
    with store.session() as session:
        rows, next_cursor = search_documents(
            session=session, account_id=caller.account.id, filters=filters, cursor=cursor, limit=PAGE_SIZE
        )
        total = count_documents(
            session=session, account_id=caller.account.id, filters=filters, up_to=COUNT_UP_TO
        )
        tags = account_tags(session, caller.account.id)
        previous = (
            previous_page_cursor(
                session=session,
                account_id=caller.account.id,
                filters=filters,
                first_id=rows[0].id,
                limit=PAGE_SIZE,
            )
            if cursor and rows
            else None
        )
    request.app.state.thumbnailer.prefetch(rows)
    return render(
        request,
        "documents.html",
        caller=caller,
        address=_address(request, caller),
        documents=rows,
        total=total,
        count_up_to=COUNT_UP_TO,
        filters=filters,
        filtered=is_filtered(filters),
        query=to_query(filters),
        sort_query=lambda sort: sort_query(filters, sort),
        # A one-click toggle for the fields marked "?": the same filter as Status › To check.
        to_check_query=to_query(filters, flag="" if filters.flag == "check" else "check"),
        next_cursor=next_cursor,
        first_page=cursor is None,
        tags=tags,
        done=done,
        previous_cursor=previous,
    )


@router.get("/documents/{document_id}")
def document_page(
    document_id: str, request: Request, caller: PageCaller, store: StoreDep, done: str = ""
) -> Response:
    return render_document(request, caller, store, document_id, done=done)


def render_document(
    request: Request, caller: Caller, store: Store, document_id: str, *, done="", error="", status_code=200
) -> Response:
    """The detail page; after a refused edit, with the error and the form open."""
    with store.session() as session:
        doc = get_document(session=session, account_id=caller.account.id, document_id=document_id)
        changes = history(session, doc.id)
        same_number = same_number_documents(session=session, account_id=caller.account.id, doc=doc)
    return render(
        request,
        "document.html",
        status_code=status_code,
        caller=caller,
        doc=doc,
        changes=changes,
        same_number=same_number,
        done=done,
        error=error,
        types=[t.value for t in InvoiceType],
    )


@router.get("/messages")
def messages_page(
    request: Request, caller: PageCaller, store: StoreDep, cursor: str | None = None, status: str = ""
) -> Response:
    # As the documents list's filters: a status we do not know shows every mail.
    wanted = MessageStatus(status) if status in set(MessageStatus) else None
    with store.session() as session:
        rows, next_cursor = list_messages(
            session=session, account_id=caller.account.id, cursor=cursor, limit=PAGE_SIZE, status=wanted
        )
        rejected = recent_rejections(session=session, account_id=caller.account.id) if cursor is None else []
    return render(
        request,
        "messages.html",
        rejected=rejected,
        caller=caller,
        messages=rows,
        statuses=list(MessageStatus),
        status=wanted.value if wanted else "",
        next_cursor=next_cursor,
        first_page=cursor is None,
        address=_address(request, caller),
    )


@router.get("/messages/{message_id}")
def message_page(
    message_id: str, request: Request, caller: PageCaller, store: StoreDep, parts: str = ""
) -> Response:
    message = message_of(store, caller, message_id)
    with store.session() as session:
        logged = part_logs(session=session, message_id=message.id)
        docs = documents_of_message(session=session, account_id=caller.account.id, message_id=message.id)
    return render(
        request,
        "message.html",
        caller=caller,
        message=message,
        parts=logged,
        documents=docs,
        show_all=parts == "all",  # containers and bodies are technical: hidden unless asked
    )


@router.get("/messages/{message_id}/raw")
def download_raw_mail(message_id: str, request: Request, caller: PageCaller, store: StoreDep) -> Response:
    """The mail as it was received, behind our Return-Path and Received, as an .eml file. Its
    name is made of our own values (when it arrived, its id), never of what the sender wrote."""
    with store.session() as session:
        raw = raw_mail(session=session, account_id=caller.account.id, message_id=message_id)
    name = f"mail-{raw.received_at:%Y%m%d-%H%M%S}-{message_id}.eml"
    return blob_response(
        request,
        store.blobs,
        raw.sha256,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": content_disposition("attachment", name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/messages/{message_id}/reprocess")
def reprocess_message(message_id: str, caller: EditorForm, store: StoreDep) -> Response:
    """A failed mail (one that gave up, too) is processed again by the next free worker
    (it changes documents: not for accountants)."""
    with store.session() as session:
        requeue(session=session, account_id=caller.account.id, message_id=message_id)
    return RedirectResponse(f"/messages/{message_id}", status_code=303)


def _address(request: Request, caller) -> str:
    return request.app.state.settings.inbox_address(caller.account.inbox_local)
