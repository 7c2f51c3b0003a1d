"""Forgotten passwords: a single-use link by mail (through INBOX_RELAY_URL), then a new password.

The answer to a request never says whether the address has an account, and the mail goes
after the answer, so neither the page nor its timing tells. Without a relay the page says
reset by mail is off and names the command an administrator runs instead.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response

from storage.accounts import normalise_email
from storage.logins import start_attempt
from storage.resets import RESET_LIFETIME, create_reset, reset_is_valid, use_reset
from web.account import MIN_PASSWORD_LENGTH
from web.auth import LOGIN_CSRF_COOKIE, form_token_matches, too_many, wait_for_limits, with_form_token
from web.clientip import client_address
from web.deps import StoreDep
from web.i18n import request_language
from web.loginlimits import reset_keys
from web.mails import reset_mail
from web.templating import render

router = APIRouter()
log = logging.getLogger("inbox.web.passwords")
ADMIN_COMMAND = "inbox user passwd EMAIL"


@router.get("/password/forgot")
def forgot_page(request: Request) -> Response:
    return with_form_token(request, lambda token: _forgot(request, csrf_token=token))


@router.post("/password/forgot")
def ask_for_link(
    request: Request,
    store: StoreDep,
    background: BackgroundTasks,
    email: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not form_token_matches(request, csrf_token):
        return _forgot(request, status_code=403, csrf_token=expected, error="form_expired")
    send = request.app.state.send_mail
    if send is None:
        return _forgot(request, status_code=503, csrf_token=expected)
    address = normalise_email(email)
    if "@" not in address:
        return _forgot(request, status_code=400, csrf_token=expected, error="bad_email")
    keys = reset_keys(ip=client_address(request, request.app.state.settings.trusted_proxies), email=address)
    with store.session() as session:  # every request counts: no flood of mail to one address
        mine = start_attempt(session=session, keys=list(keys.values()))
    wait = wait_for_limits(store, keys, mine)
    if wait:
        return too_many(request, wait, template="password_forgot.html", csrf_token=expected, relay=True)
    with store.session() as session:
        made = create_reset(session=session, email=address)
    if made is not None:
        token, user = made
        _ = request.app.state.catalogues[request_language(request, user.language)].gettext
        link = f"{request.app.state.settings.web_url}/password/reset?{urlencode({'token': token})}"
        minutes = int(RESET_LIFETIME.total_seconds() // 60)
        background.add_task(_send_quietly, send, reset_mail(_, to=user.email, link=link, minutes=minutes))
    return _forgot(request, csrf_token=expected, sent=True)


@router.get("/password/reset")
def reset_page(request: Request, store: StoreDep, token: str = "") -> Response:
    with store.session() as session:
        valid = bool(token) and reset_is_valid(session=session, token=token)
    return _reset(request, token=token, error="" if valid else "bad_link", status_code=200 if valid else 400)


@router.post("/password/reset")
def reset_password(
    request: Request,
    store: StoreDep,
    token: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    """The token is the proof: a form without it changes nothing (it stands in for CSRF)."""
    if len(new) < MIN_PASSWORD_LENGTH:
        return _reset(request, token=token, error="too_short", status_code=400)
    if new != repeat:
        return _reset(request, token=token, error="mismatch", status_code=400)
    with store.session() as session:
        changed = use_reset(session=session, token=token, password=new)  # ends every session
    if not changed:
        return _reset(request, token=token, error="bad_link", status_code=400)
    return RedirectResponse("/login?done=reset", status_code=303)


def _send_quietly(send, message) -> None:
    """After the answer. A failure is logged without the link (it holds the token)."""
    try:
        send(message)
    except Exception as err:  # the relay's trouble must not become a 500 after the fact
        log.warning("password reset mail could not be sent: %s", err)
    else:
        log.info("password reset mail handed to the relay")


def _forgot(request: Request, *, status_code: int = 200, **context) -> Response:
    relay = request.app.state.send_mail is not None
    return render(
        request,
        "password_forgot.html",
        status_code=status_code,
        relay=relay,
        admin_command=ADMIN_COMMAND,
        **context,
    )


def _reset(request: Request, *, token: str, error: str, status_code: int) -> Response:
    return render(
        request,
        "password_reset.html",
        status_code=status_code,
        token=token,
        error=error,
        min_length=MIN_PASSWORD_LENGTH,
    )
