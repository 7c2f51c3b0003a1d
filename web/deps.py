"""Who is asking: one dependency decides, and every query is scoped by its answer."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from storage.accounts import get_account, resume_session
from storage.db import Store
from storage.read_models import AccountRead, SessionRead, account_read, session_read
from storage.tokens import account_for_token
from web.i18n import N_

SESSION_COOKIE = "inbox_session"


@dataclass(frozen=True, slots=True)
class Caller:
    account: AccountRead
    session: SessionRead | None  # None for API token callers, who have no forms


class LoginRequired(Exception):
    """Raised for pages: the app answers with a redirect to /login."""


def get_store(request: Request) -> Store:
    return request.app.state.store


def _caller(request: Request) -> Caller | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    store = get_store(request)
    with store.session() as session:
        row = resume_session(session=session, token=token)
        if row is None:
            return None
        account = get_account(session=session, account_id=row.account_id)
        return Caller(account=account_read(account), session=session_read(row))


def page_caller(request: Request) -> Caller:
    caller = _caller(request)
    if caller is None:
        raise LoginRequired
    return caller


def api_caller(request: Request) -> Caller:
    secret = _bearer(request)
    caller = _token_caller(request, secret) if secret is not None else _caller(request)
    if caller is None:
        raise HTTPException(
            status_code=401,
            detail="log in or send a valid token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


def page_or_api_caller(request: Request) -> Caller:
    """For a page an integration also fetches (a download): a Bearer token is answered as the
    API answers it (401 when wrong), a browser without a session is sent to log in."""
    return api_caller(request) if _bearer(request) is not None else page_caller(request)


def _bearer(request: Request) -> str | None:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def _token_caller(request: Request, secret: str) -> Caller | None:
    with get_store(request).session() as session:
        account_id = account_for_token(session=session, secret=secret)
        if account_id is None:
            return None
        return Caller(account=account_read(get_account(session=session, account_id=account_id)), session=None)


async def check_csrf(request: Request, caller: Annotated[Caller, Depends(page_caller)]) -> Caller:
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if caller.session is None or not hmac.compare_digest(sent, caller.session.csrf_token):
        raise HTTPException(
            status_code=403, detail=N_("The form is out of date. Reload the page and try again.")
        )
    return caller


PageCaller = Annotated[Caller, Depends(page_caller)]
ApiCaller = Annotated[Caller, Depends(api_caller)]
PageOrApiCaller = Annotated[Caller, Depends(page_or_api_caller)]
FormCaller = Annotated[Caller, Depends(check_csrf)]
StoreDep = Annotated[Store, Depends(get_store)]
