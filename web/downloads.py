"""Serving a document's original bytes, exactly, under a safe name, streamed from the blob store."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from storage.blobs import BlobStore
from storage.db import Store
from storage.read_models import DocumentRead
from web.deps import PageOrApiCaller, StoreDep
from web.filenames import content_disposition
from web.lookups import document_of

router = APIRouter()


@router.get("/documents/{document_id}/download")
def download(document_id: str, request: Request, caller: PageOrApiCaller, store: StoreDep) -> Response:
    """For a browser's session, and for an integration's Bearer token (as the API answers it)."""
    return original_file(request, store, document_of(store, caller, document_id))


def original_file(request: Request, store: Store, doc: DocumentRead) -> Response:
    """The document's bytes as stored (also /api/v1/documents/{id}/download)."""
    return blob_response(
        request,
        store.blobs,
        doc.sha256,
        media_type=doc.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition("attachment", doc.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def blob_response(
    request: Request, blobs: BlobStore, sha256: str, *, media_type: str, headers: Mapping[str, str]
) -> Response:
    """The blob as a streamed body with its length; its sha256 is its ETag, so a client that
    already has these bytes gets 304 without them."""
    etag = f'"{sha256}"'
    headers = {**headers, "ETag": etag}
    if _etags(request.headers.get("if-none-match", "")) & {etag, "*"}:
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(blobs.size(sha256))
    return StreamingResponse(blobs.stream(sha256), media_type=media_type, headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
