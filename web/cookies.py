"""Every cookie we set: HttpOnly, SameSite=Lax, Secure when served over HTTPS, whole site."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from storage.accounts import SESSION_LIFETIME
from web.deps import SESSION_COOKIE


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    max_age = int(SESSION_LIFETIME.total_seconds())
    set_cookie(request, response, SESSION_COOKIE, token, max_age=max_age)
