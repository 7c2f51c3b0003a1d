"""create_app(store, settings): the web application, built on demand, nothing at import."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from storage.db import Store
from storage.errors import NotFound
from storage.pagination import BadCursor
from web import (
    account,
    apidocs,
    auth,
    downloads,
    exports,
    integrations,
    language,
    mailbody,
    organise,
    pages,
    passwords,
    previews,
    team,
    uploads,
)
from web.api import legacy, v1
from web.api.errors import ApiError, is_v1, v1_error, v1_validation_error
from web.clientip import Network
from web.deps import LoginRequired, optional_caller
from web.errors import bad_link, not_found
from web.i18n import load_catalogues
from web.ratelimit import RateLimiter
from web.templating import make_environment, render
from web.thumbnails import Thumbnailer

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True, slots=True)
class WebConfig:
    mail_domain: str = "inbox.localhost"
    secure_cookies: bool = False  # set when served over HTTPS
    server_timing: bool = False  # precise timings help probe for data: debugging and benchmarks only
    api_rate_per_minute: int = 120  # requests per token (INBOX_API_RATE_PER_MINUTE)
    hook_allow_private: bool = False  # INBOX_HOOK_ALLOW_PRIVATE
    max_upload_bytes: int = 25 * 1024 * 1024
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For is believed
    web_url: str = "http://127.0.0.1:8000"  # for links in mail (INBOX_PUBLIC_URL)

    def inbox_address(self, local: str) -> str:
        return f"{local}@{self.mail_domain}"


def _nothing() -> None:
    pass


def create_app(
    store: Store,
    settings: WebConfig,
    *,
    wake_worker: Callable[[], None] = _nothing,
    wake_dispatcher: Callable[[], None] = _nothing,
    inboxes_changed: Callable[[], None] = _nothing,
    send_mail: Callable[[EmailMessage], None] | None = None,
) -> FastAPI:
    """`wake_worker`: an upload is waiting; `wake_dispatcher`: a delivery is due now. Both
    also find their work by polling, so another process's web may leave them out.
    `inboxes_changed`: an inbox address or who may send to it changed (this process's SMTP side
    looks it up again at once; others within a second).
    `send_mail`: the outgoing relay (blocking; raises on failure); None: mail is off."""
    app = FastAPI(title="invoice-inbox", docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.settings = settings
    app.state.wake_worker = wake_worker
    app.state.wake_dispatcher = wake_dispatcher
    app.state.inboxes_changed = inboxes_changed
    app.state.send_mail = send_mail
    app.state.rate_limiter = RateLimiter(store, settings.api_rate_per_minute)
    app.state.templates = make_environment()
    app.state.catalogues = load_catalogues()
    app.state.thumbnailer = Thumbnailer(store)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (
        auth,
        passwords,
        language,
        exports,
        uploads,
        organise,
        downloads,
        previews,
        mailbody,
        pages,
        account,
        integrations,
        apidocs,
        team,
        legacy,
        v1,
    ):
        app.include_router(module.router)

    @app.get("/healthz")
    def healthz() -> dict:
        with store.session() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return {"status": "ok"}

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = "/login" if wanted in ("/", "/documents") else f"/login?{urlencode({'next': wanted})}"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(NotFound)
    async def storage_not_found(request: Request, exc: NotFound) -> Response:
        # The one place a storage NotFound becomes an answer: 404, also for others' ids.
        return await http_error(request, not_found())

    @app.exception_handler(BadCursor)
    async def storage_bad_cursor(request: Request, exc: BadCursor) -> Response:
        if is_v1(request):
            return v1_error(ApiError(400, "bad_parameter", f"cursor: {exc}"))
        return await http_error(request, bad_link())

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if is_v1(request):
            return v1_validation_error(exc)
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if is_v1(request):
            return v1_error(exc)
        if request.url.path.startswith("/api/") or request.url.path == "/healthz":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(
            request,
            "error.html",
            caller=optional_caller(request),  # the navigation stays
            status_code=exc.status_code,
            status=exc.status_code,
            detail=exc.detail,
        )

    @app.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        if settings.server_timing:  # time spent in the app, for dev tools and bench/web.py
            elapsed_ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
