"""Looking at a document in the browser: its thumbnail and an inline, sandboxed preview."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from web.deps import PageCaller, StoreDep
from web.downloads import blob_response
from web.filenames import content_disposition
from web.i18n import N_
from web.lookups import document_of
from web.thumbnails import RENDERABLE_KINDS, render_page

router = APIRouter()
THUMBNAIL_WAIT_SECONDS = 3.0
PAGE_WIDTH = 900  # sharp on a 390 px phone at 2x
# Shown inline as themselves; anything else (XML included) is shown as plain text.
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")
# The preview is its own sandboxed origin: no scripts, no forms, nothing fetched from elsewhere.
PREVIEW_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "object-src 'self'; frame-ancestors 'self'"
)
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 48" width="36" height="48">'
    '<rect x="0.5" y="0.5" width="35" height="47" rx="3" fill="#f6f8fb" stroke="#c5cfdb"/>'
    '<path d="M9 14h18M9 20h18M9 26h12" stroke="#c5cfdb" stroke-width="2"/></svg>'
)


@router.get("/documents/{document_id}/thumbnail")
def thumbnail(document_id: str, request: Request, caller: PageCaller, store: StoreDep) -> Response:
    doc = document_of(store, caller, document_id)
    png = request.app.state.thumbnailer.get(doc, wait=THUMBNAIL_WAIT_SECONDS)
    if png is None:  # not rendered yet, or not renderable: ask again next time
        return Response(PLACEHOLDER, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
    # Keyed by content, so the browser may keep it; private because it shows the document.
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/documents/{document_id}/pages/{number}.png")
def page_image(
    document_id: str, number: int, request: Request, caller: PageCaller, store: StoreDep
) -> Response:
    """One page as an image, rendered by the thumbnails' bounded child, larger (phones)."""
    doc = document_of(store, caller, document_id)
    if doc.kind not in RENDERABLE_KINDS or number < 1 or number > max(doc.pages or 1, 1):
        raise HTTPException(status_code=404, detail=N_("This page does not exist."))
    png = render_page(store, doc, number - 1, PAGE_WIDTH)
    if png is None:
        raise HTTPException(status_code=404, detail=N_("This page could not be shown."))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/documents/{document_id}/preview")
def preview(document_id: str, request: Request, caller: PageCaller, store: StoreDep) -> Response:
    doc = document_of(store, caller, document_id)
    media_type = doc.content_type if doc.content_type in INLINE_TYPES else "text/plain"
    return blob_response(
        request,
        store.blobs,
        doc.sha256,
        media_type=media_type + ("; charset=utf-8" if media_type == "text/plain" else ""),
        headers={
            "Content-Disposition": content_disposition("inline", doc.filename),
            "Content-Security-Policy": PREVIEW_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
