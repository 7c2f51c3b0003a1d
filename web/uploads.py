"""Upload from the browser: one file per request, answered in JSON so the page shows each
file's own error. The file goes through storage/uploads.py, the path API uploads take."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse

from storage.uploads import MAX_UPLOAD_BYTES, UploadRefused, accept_upload
from web.deps import Caller, PageCaller, StoreDep
from web.i18n import N_, request_language

router = APIRouter()
# The page shows these to the person uploading, in their language.
REFUSALS = {
    "empty_file": N_("the file is empty"),
    "too_large": N_("the file is larger than 25 MB"),
    "bad_type": N_("only PDF, XML (e-invoices), PNG and JPEG files can be uploaded"),
}
# What the worker can read: the page refuses anything else at once, by name (the API leaves
# it to extraction, which classifies by content).
UPLOADABLE_SUFFIXES = (".pdf", ".xml", ".png", ".jpg", ".jpeg")


@router.post("/documents/upload")
async def upload_document(
    request: Request, caller: PageCaller, store: StoreDep, file: UploadFile
) -> JSONResponse:
    sent = request.headers.get("x-csrf-token", "")
    if caller.session is None or not hmac.compare_digest(sent, caller.session.csrf_token):
        return _error(403, "forbidden", "the page is out of date; reload it and try again")
    if not caller.can_edit:
        return _error(403, "forbidden", "your role can read and export, not add documents")
    name = file.filename or "upload"
    gettext = request.app.state.catalogues[request_language(request, _saved_language(caller))].gettext
    if not name.lower().endswith(UPLOADABLE_SUFFIXES):
        return _error(400, "bad_type", f"{name}: {gettext(REFUSALS['bad_type'])}")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        message_id = accept_upload(
            store=store, account_id=caller.account.id, filename=name, data=data, max_bytes=MAX_UPLOAD_BYTES
        )
    except UploadRefused as err:
        return _error(400, err.code, f"{name}: {gettext(REFUSALS.get(err.code, str(err)))}")
    request.app.state.wake_worker()  # workers elsewhere find it by polling
    return JSONResponse({"message": message_id, "filename": name}, status_code=202)


def _saved_language(caller: Caller) -> str:
    return caller.user.language if caller.user else ""


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
