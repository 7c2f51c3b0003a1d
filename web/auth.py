"""Log in and out. Login forms carry a double-submit CSRF token until a session exists."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from storage.accounts import authenticate, end_session, normalise_email, start_session
from storage.logins import failures_since, forget_failures, record_login_failure
from storage.models import utcnow
from web.cookies import set_cookie, set_session_cookie
from web.deps import SESSION_COOKIE, FormCaller, StoreDep
from web.i18n import LANGUAGE_COOKIE
from web.language import ONE_YEAR, is_local_path
from web.templating import render

router = APIRouter()
LOGIN_CSRF_COOKIE = "inbox_login_csrf"
# Failed logins allowed per window: per e-mail slows guessing one password, per IP slows
# trying many accounts; an office behind one address still gets room for typos.
LIMIT_WINDOW = timedelta(minutes=15)
LIMITS = {"email": 10, "ip": 50}


@router.get("/login")
def login_page(request: Request, next: str = "/documents") -> Response:  # noqa: A002
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", csrf_token=token, error=None, next=_local(next))
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


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
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(
            request, "login.html", status_code=403, csrf_token=expected, error="form_expired", next=next
        )
    keys = _limit_keys(request, email)
    with store.session() as session:
        if _too_many_failures(session, keys):  # same answer for known and unknown e-mails
            return render(
                request,
                "login.html",
                status_code=429,
                csrf_token=expected,
                error="too_many",
                email=email,
                next=next,
            )
        user = authenticate(session=session, email=email, password=password)
        if user is None:
            record_login_failure(session=session, keys=list(keys.values()))
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
        forget_failures(session=session, key=keys["email"])
        token, _ = start_session(session=session, user=user)
    response = RedirectResponse(next, status_code=303)  # back to the page that was asked for
    set_session_cookie(request, response, token)
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


def _limit_keys(request: Request, email: str) -> dict[str, str]:
    address = normalise_email(email).encode()
    return {
        "email": "email:" + hashlib.sha256(address).hexdigest(),  # no addresses kept in clear
        "ip": "ip:" + (request.client.host if request.client else "unknown"),
    }


def _too_many_failures(session, keys: dict[str, str]) -> bool:
    since = utcnow() - LIMIT_WINDOW
    return any(
        failures_since(session=session, key=key, since=since) >= LIMITS[kind] for kind, key in keys.items()
    )


def _local(target: str) -> str:
    return target if is_local_path(target) else "/documents"
