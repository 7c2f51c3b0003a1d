"""The upload action: `POST /api/v1/documents` (multipart, field `file`)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from storage.documents import get_document
from storage.messages import get_message
from storage.uploads import UploadRefused, accept_upload
from vocabulary import MessageStatus
from web.api.errors import ApiError
from web.api.schemas import MessageOut, Uploaded, document_json, message_json
from web.deps import DocumentsWriter, StoreDep

router = APIRouter()
POLL_SECONDS = 0.05
REFUSALS = {"empty_file": 400, "too_large": 413, "quota_exceeded": 429}


@router.post(
    "/documents",
    status_code=201,
    responses={201: {"model": Uploaded}, 202: {"model": MessageOut}, 413: {}, 415: {}, 422: {}},
    openapi_extra={  # the form is read by hand (to answer a missing file with our own error)
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                }
            },
        }
    },
)
async def upload(
    request: Request,
    caller: DocumentsWriter,
    store: StoreDep,
    wait: Annotated[float, Query(ge=0, le=120, description="seconds to wait for processing")] = 30,
) -> JSONResponse:
    """Upload one file: processed like a mailed invoice (an upload is a message whose source
    is `upload`). 201 with the message and its documents once processed; 202 with the message
    if still processing after `wait` seconds."""
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ApiError(400, "no_file", "send the file as multipart/form-data in the field `file`")
    limit = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    try:
        message_id = await asyncio.to_thread(
            accept_upload,
            store=store,
            account_id=caller.account.id,
            filename=file.filename or "",
            data=data,
            max_bytes=limit,
        )
    except UploadRefused as err:
        headers = {"Retry-After": str(err.over.retry_after_seconds)} if err.over else None
        raise ApiError(REFUSALS[err.code], err.code, str(err), headers) from err
    request.app.state.wake_worker()
    return await _when_processed(store, caller.account.id, message_id, wait)


async def _when_processed(store, account_id: str, message_id: str, wait: float) -> JSONResponse:
    deadline = time.monotonic() + wait
    while True:
        message = await asyncio.to_thread(_message, store, account_id, message_id)
        if message.status != MessageStatus.RECEIVED:
            break
        if time.monotonic() >= deadline:
            return JSONResponse(message_json(message), status_code=202)
        await asyncio.sleep(POLL_SECONDS)
    if message.status == MessageStatus.NO_DOCUMENTS:
        raise ApiError(
            415, "not_a_document", "the file is not a document we can read (PDF, e-invoice XML, ZIP or image)"
        )
    if message.status == MessageStatus.FAILED:
        raise ApiError(422, "processing_failed", f"the file could not be processed: {message.reason}")
    documents = await asyncio.to_thread(_documents, store, account_id, message.document_ids)
    return JSONResponse({"message": message_json(message), "documents": documents}, status_code=201)


def _message(store, account_id: str, message_id: str):
    with store.session() as session:
        return get_message(session=session, account_id=account_id, message_id=message_id)


def _documents(store, account_id: str, ids: tuple[str, ...]) -> list[dict]:
    with store.session() as session:
        return [
            document_json(
                get_document(session=session, account_id=account_id, document_id=i, include_deleted=True)
            )
            for i in dict.fromkeys(ids)
        ]
