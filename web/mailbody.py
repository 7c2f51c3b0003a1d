"""A mail's body as a page of its own, sanitised and shown in a sandboxed frame.

Two layers: nh3 keeps only harmless markup and drops every image and remote reference (so
opening a mail tells no tracker anything), and the response's CSP sandboxes the frame and
forbids loading anything at all, in case a sanitiser ever lets something through.
"""

from __future__ import annotations

import html

import nh3
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from storage.messages import get_message_body
from web.deps import PageCaller, StoreDep

router = APIRouter()
BODY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
TAGS = nh3.ALLOWED_TAGS - {"img", "area", "map"}
PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><style>'
    "body{font:14px/1.5 system-ui,sans-serif;color:#1d2733;margin:1rem;overflow-wrap:anywhere}"
    "pre{white-space:pre-wrap}table{border-collapse:collapse}</style></head><body>{}</body></html>"
)


def sanitise(body_html: str) -> str:
    return nh3.clean(
        body_html,
        tags=TAGS,
        clean_content_tags={"script", "style", "title"},
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",  # a relative link would point into this site
    )


@router.get("/messages/{message_id}/body")
def message_body(message_id: str, caller: PageCaller, store: StoreDep) -> HTMLResponse:
    with store.session() as session:
        body = get_message_body(session=session, account_id=caller.account.id, message_id=message_id)
    content = sanitise(body.html) if body.html else f"<pre>{html.escape(body.text)}</pre>"
    return HTMLResponse(
        PAGE.replace("{}", content),
        headers={
            "Content-Security-Policy": BODY_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "private, no-store",
        },
    )
