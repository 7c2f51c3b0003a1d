"""Serving a document's original bytes, exactly, under a safe name."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from web.deps import PageCaller, StoreDep
from web.filenames import content_disposition
from web.lookups import document_of

router = APIRouter()


@router.get("/documents/{document_id}/download")
def download(document_id: str, caller: PageCaller, store: StoreDep) -> FileResponse:
    doc = document_of(store, caller, document_id)
    return FileResponse(
        store.blobs.path(doc.sha256),
        media_type=doc.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition("attachment", doc.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
