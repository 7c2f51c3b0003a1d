"""Log in and out. Login forms carry a double-submit CSRF token until a session exists."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from storage.accounts import authenticate, end_session, start_session
from web.deps import SESSION_COOKIE, FormCaller, StoreDep
from web.templating import render

router = APIRouter()
LOGIN_CSRF_COOKIE = "inbox_login_csrf"


@router.get("/login")
def login_page(request: Request) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", csrf_token=token, error=None)
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    store: StoreDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(
            request, "login.html", status_code=403, csrf_token=expected, error="form_expired"
        )
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
            )
        token, _ = start_session(session=session, user=user)
    response = RedirectResponse("/documents", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, token, max_age=14 * 24 * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, caller: FormCaller, store: StoreDep) -> Response:
    with store.session() as session:
        end_session(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )
