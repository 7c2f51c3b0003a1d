"""`/api/v1`: the typed integration API. Tokens (Bearer) or a session; errors are
`{"error": {"code", "message"}}` (web/api/errors.py); OpenAPI at /api/v1/openapi.json.

Issue 11 (token scopes, upload, hooks, suppliers, usage) adds its routes to this router, or
writes modules of their own in this package and includes their routers into this one
(`router.include_router`), so the OpenAPI document below lists them too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response, StreamingResponse

from storage.errors import NotFound
from storage.trash import move_to_trash
from web.api import V1_PREFIX, connection, edits, hooks, suppliers, uploads
from web.api.errors import ApiError
from web.api.listing import document_page, message_detail, message_page
from web.api.schemas import DocumentOut, DocumentPage, ErrorOut, MessageDetail, MessagePage
from web.deps import DocumentsReader, DocumentsWriter, StoreDep
from web.downloads import original_file
from web.listing import BadParameter, strict_filter_from_query
from web.lookups import document_of

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 429)
}
router = APIRouter(prefix=V1_PREFIX, tags=["v1"], responses=ERRORS)
Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]


@router.get("/documents")
def list_documents(
    request: Request,
    caller: DocumentsReader,
    store: StoreDep,
    q: Annotated[str, Query(description="words to find (supplier, number, text, file name)")] = "",
    kind: Annotated[str, Query(description="pdf, einvoice or image")] = "",
    status: Annotated[str, Query(description="unreadable, duplicate, or check (an unsure field)")] = "",
    sender: Annotated[str, Query(description="part of the sender's address")] = "",
    tag: Annotated[str, Query(description="only documents with this tag")] = "",
    from_: Annotated[str, Query(alias="from", description="received on or after (YYYY-MM-DD)")] = "",
    to: Annotated[str, Query(description="received on or before (YYYY-MM-DD)")] = "",
    sort: Annotated[str, Query(description="received, date, total or supplier")] = "received",
    since: Annotated[
        str, Query(description="received strictly after this ISO 8601 time (polling triggers)")
    ] = "",
    supplier_id: Annotated[str, Query(description="the documents of one supplier")] = "",
    dir: Annotated[str, Query(description="asc or desc (default: the sort's natural order)")] = "",
    cursor: str | None = None,
    limit: Limit = 50,
) -> DocumentPage:
    """The documents list, searched, filtered, sorted and paged exactly like the web's list."""
    try:
        filters = strict_filter_from_query(request.query_params)
    except BadParameter as err:
        raise ApiError(400, "bad_parameter", str(err)) from err
    return document_page(store, caller, filters, cursor, limit)


@router.get("/documents/{document_id}")
def get_document(document_id: str, caller: DocumentsReader, store: StoreDep) -> DocumentOut:  # type: ignore[valid-type]
    return DocumentOut.model_validate(document_of(store, caller, document_id))


@router.get(
    "/documents/{document_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"description": "the document's original bytes", "content": {"application/octet-stream": {}}}
    },
)
def download_document(
    document_id: str, request: Request, caller: DocumentsReader, store: StoreDep
) -> Response:
    return original_file(request, store, document_of(store, caller, document_id))


@router.delete("/documents/{document_id}", status_code=204, response_class=Response)
def delete_document(document_id: str, caller: DocumentsWriter, store: StoreDep) -> Response:
    """Move the document to the trash (kept 30 days, restorable), recorded in its history."""
    with store.session() as session:
        moved = move_to_trash(
            session=session, account_id=caller.account.id, document_ids=[document_id], user_email=caller.who
        )
    if not moved:  # in the trash already: hidden from the API, as GET answers
        raise NotFound("document")
    return Response(status_code=204)


@router.get("/messages")
def list_messages(
    caller: DocumentsReader, store: StoreDep, cursor: str | None = None, limit: Limit = 50
) -> MessagePage:
    """Received mails, newest first."""
    return message_page(store, caller, cursor, limit)


@router.get("/messages/{message_id}")
def get_message(message_id: str, caller: DocumentsReader, store: StoreDep) -> MessageDetail:
    """One mail with what became of each of its parts."""
    return message_detail(store, caller, message_id)


router.include_router(edits.router)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI document of /api/v1 alone, built once per app."""
    state = request.app.state
    if getattr(state, "openapi_v1", None) is None:
        document = get_openapi(title="invoice-inbox API", version="1", routes=router.routes)
        document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        document["security"] = [{"bearer": []}, {"session": []}]
        state.openapi_v1 = document
    return JSONResponse(state.openapi_v1)


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "a token from `inbox token create`"},
    "session": {"type": "apiKey", "in": "cookie", "name": "inbox_session"},
}


# The integration routes live in their own modules; included here so the document lists them.
for _module in (connection, uploads, suppliers, hooks):
    router.include_router(_module.router)
