"""Switching language: remembered in a cookie, then back to the page the user was on.

A plain link (GET) on purpose: it only sets a display preference, works on the login page where
no session (and so no CSRF token) exists yet, and a forged link can do no more than that.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from web.cookies import set_cookie
from web.i18n import LANGUAGE_COOKIE, LANGUAGES

router = APIRouter()
ONE_YEAR = 365 * 24 * 3600


@router.get("/language")
def switch_language(request: Request, lang: str = "", next: str = "/") -> RedirectResponse:  # noqa: A002
    target = next if is_local_path(next) else "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        set_cookie(request, response, LANGUAGE_COOKIE, lang, max_age=ONE_YEAR)
    return response


def is_local_path(target: str) -> bool:
    """Only paths of this site: "/x", never "//host" or "/\\host" (open redirects)."""
    return target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target
