"""`/api/docs`: the OpenAPI document rendered by our own static script (no CDN: the CSP
allows only this origin, and self-hosted users may be offline)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>invoice-inbox API</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="stylesheet" href="/static/apidocs.css">
</head><body>
<main id="api-docs" data-spec="/api/v1/openapi.json">
<h1>invoice-inbox API v1</h1>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> (create one on the Integrations page or with
<code>inbox token create</code>). The machine-readable document:
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<noscript><p>This page needs JavaScript to render the document; the JSON above has it all.</p></noscript>
</main>
<script src="/static/apidocs.js"></script>
</body></html>
"""


@router.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
