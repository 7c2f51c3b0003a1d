"""Serving a document's original bytes, exactly, under a safe name."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from storage.documents import get_document
from storage.errors import NotFound
from web.deps import PageCaller, StoreDep
from web.filenames import content_disposition

router = APIRouter()


@router.get("/documents/{document_id}/download")
def download(document_id: str, caller: PageCaller, store: StoreDep) -> FileResponse:
    with store.session() as session:
        try:
            doc = get_document(
                session=session, account_id=caller.account.id, document_id=document_id
            )
        except NotFound as err:
            raise HTTPException(status_code=404, detail="no such document") from err
    return FileResponse(
        store.blobs.path(doc.sha256),
        media_type=doc.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition("attachment", doc.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
