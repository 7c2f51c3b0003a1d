"""Log in and out. Login forms carry a double-submit CSRF token until a session exists."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from storage.accounts import (
    authenticate,
    end_session,
    get_user,
    normalise_email,
    resume_session,
    start_session,
)
from storage.logins import (
    DEVICE_LIFETIME,
    attempts_since,
    device_hash,
    device_user,
    forget_failures,
    remember_device,
    start_attempt,
    take_back,
)
from storage.models import utcnow
from web.clientip import client_address
from web.cookies import set_cookie, set_session_cookie
from web.deps import SESSION_COOKIE, FormCaller, StoreDep
from web.i18n import LANGUAGE_COOKIE
from web.language import ONE_YEAR, is_local_path
from web.loginlimits import RULES, limit_keys, retry_after
from web.templating import render

router = APIRouter()
LOGIN_CSRF_COOKIE = "inbox_login_csrf"
DEVICE_COOKIE = "inbox_device"  # a browser that logged in before: see web/loginlimits.py


@router.get("/login")
def login_page(request: Request, next: str = "/documents", done: str = "") -> Response:  # noqa: A002
    return with_form_token(
        request, lambda token: render(request, "login.html", csrf_token=token, next=_local(next), done=done)
    )


def with_form_token(request: Request, page: Callable[[str], Response]) -> Response:
    """A page with a form for visitors without a session: its double-submit CSRF token, in
    the page and in a cookie (kept while it lasts, so several tabs agree)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = page(token)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


def form_token_matches(request: Request, csrf_token: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, csrf_token)


@router.post("/login")
def login(
    request: Request,
    store: StoreDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/documents",  # noqa: A002
) -> Response:
    next = _local(next)  # noqa: A001
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not form_token_matches(request, csrf_token):
        return render(
            request, "login.html", status_code=403, csrf_token=expected, error="form_expired", next=next
        )
    address = normalise_email(email)
    with store.session() as session:  # committed before the hash: concurrent guesses see it
        device = _known_device(session, request, address)
        keys = limit_keys(
            ip=client_address(request, request.app.state.settings.trusted_proxies),
            email=address,
            device=device,
        )
        mine = start_attempt(session=session, keys=list(keys.values()))
    wait = wait_for_limits(store, keys, mine)
    if wait:  # the same answer for known and unknown e-mails
        return too_many(request, wait, csrf_token=expected, email=email, next=next)
    with store.session() as session:
        user = authenticate(session=session, email=email, password=password)
    if user is None:  # one message for unknown user and wrong password: no enumeration
        return render(
            request,
            "login.html",
            status_code=401,
            csrf_token=expected,
            error="bad_login",
            email=email,
            next=next,
        )
    with store.session() as session:
        take_back(session=session, attempt_ids=mine)
        forget_failures(session=session, keys=[keys[k] for k in ("ipaccount", "device") if k in keys])
        token, _ = start_session(session=session, user=user)
        known_cookie = device is not None and device == device_hash(request.cookies.get(DEVICE_COOKIE, ""))
        new_device = None if known_cookie else remember_device(session=session, user_id=user.id)
    response = RedirectResponse(next, status_code=303)  # back to the page that was asked for
    set_session_cookie(request, response, token)
    if new_device:
        set_cookie(request, response, DEVICE_COOKIE, new_device, max_age=int(DEVICE_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    if user.language:
        set_cookie(request, response, LANGUAGE_COOKIE, user.language, max_age=ONE_YEAR)
    return response


@router.post("/logout")
def logout(request: Request, caller: FormCaller, store: StoreDep) -> Response:
    with store.session() as session:
        end_session(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def too_many(request: Request, wait: int, *, template: str = "login.html", **context) -> Response:
    """429 with Retry-After: JSON for clients that ask for it, else the page saying how long."""
    headers = {"Retry-After": str(wait)}
    if _wants_json(request):
        return JSONResponse(
            {
                "error": "too_many_attempts",
                "detail": f"too many attempts: try again in {wait} s",
                "retry_after": wait,
            },
            status_code=429,
            headers=headers,
        )
    response = render(request, template, status_code=429, error="too_many", retry_after=wait, **context)
    response.headers.update(headers)
    return response


def wait_for_limits(store, keys: dict[str, str], mine: list[int]) -> int:
    """Seconds this attempt must wait (0: go). A refused attempt is taken back: it checked no
    password, and counting it would let a guesser extend the owner's delay for free."""
    now = utcnow()
    with store.session() as session:
        wait = 0
        for name, key in keys.items():
            rule = RULES[name]
            others = [
                at
                for row_id, at in attempts_since(session=session, key=key, since=now - rule.window)
                if row_id not in mine
            ]
            wait = max(wait, retry_after(rule, others, now))
        if wait:
            take_back(session=session, attempt_ids=mine)
    return wait


def _known_device(session: Session, request: Request, address: str) -> str | None:
    """The hash of this browser's device (or session) cookie when it is this e-mail's user's."""
    for cookie, owner in ((DEVICE_COOKIE, _device_owner), (SESSION_COOKIE, _session_owner)):
        token = request.cookies.get(cookie, "")
        user_id = owner(session, token) if token else None
        user = get_user(session=session, user_id=user_id) if user_id else None
        if user is not None and user.email == address:
            return device_hash(token)
    return None


def _device_owner(session: Session, token: str) -> str | None:
    return device_user(session=session, token=token)


def _session_owner(session: Session, token: str) -> str | None:
    row = resume_session(session=session, token=token)
    return row.user_id if row else None


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _local(target: str) -> str:
    return target if is_local_path(target) else "/documents"
