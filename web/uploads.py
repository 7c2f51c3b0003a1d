"""Upload from the browser: one file per request, answered in JSON so the page shows each
file's own error. The file goes through inbox/upload.py, the path API uploads take."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse

from inbox.upload import MAX_UPLOAD_BYTES, Upload, UploadRefused, accept_upload
from web.deps import PageCaller, StoreDep

router = APIRouter()


@router.post("/documents/upload")
async def upload_document(
    request: Request, caller: PageCaller, store: StoreDep, file: UploadFile
) -> JSONResponse:
    sent = request.headers.get("x-csrf-token", "")
    if caller.session is None or not hmac.compare_digest(sent, caller.session.csrf_token):
        return _error(403, "forbidden", "the page is out of date; reload it and try again")
    if not caller.can_edit:
        return _error(403, "forbidden", "your role can read and export, not add documents")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    upload = Upload(filename=file.filename or "upload", content_type=file.content_type or "", data=data)
    address = request.app.state.settings.inbox_address(caller.account.inbox_local)
    try:
        message_id = accept_upload(
            store, account_id=caller.account.id, inbox_address=address, uploader=caller.who, upload=upload
        )
    except UploadRefused as err:
        return _error(400, "bad_file", f"{upload.filename}: {err}")
    return JSONResponse({"message": message_id, "filename": upload.filename}, status_code=202)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
