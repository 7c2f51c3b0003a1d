"""Serving a document's original bytes, exactly, under a safe name."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from storage.db import Store
from storage.read_models import DocumentRead
from web.deps import PageOrApiCaller, StoreDep
from web.filenames import content_disposition
from web.lookups import document_of

router = APIRouter()


@router.get("/documents/{document_id}/download")
def download(document_id: str, caller: PageOrApiCaller, store: StoreDep) -> FileResponse:
    return original_file(store, document_of(store, caller, document_id))


def original_file(store: Store, doc: DocumentRead) -> FileResponse:
    """The document's bytes as stored (also /api/v1/documents/{id}/download)."""
    return FileResponse(
        store.blobs.path(doc.sha256),
        media_type=doc.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition("attachment", doc.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
