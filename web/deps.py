"""Who is asking: one dependency decides, and every query is scoped by its answer."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from storage.accounts import get_account, get_user, resume_session
from storage.db import Store
from storage.read_models import AccountRead, SessionRead, UserRead, account_read, session_read
from storage.tokens import TokenRead, authenticate_token
from vocabulary import Role
from web.i18n import N_

SESSION_COOKIE = "inbox_session"


@dataclass(frozen=True, slots=True)
class Caller:
    account: AccountRead
    session: SessionRead | None  # None for API token callers, who have no forms
    token: TokenRead | None = None  # the token an integration called with
    user: UserRead | None = None  # None for API token callers

    def may(self, scope: str) -> bool:
        """A signed-in user may do everything; a token only what its scopes say."""
        return self.token is None or scope in self.token.scopes

    @property
    def can_edit(self) -> bool:
        """Accountants read and export; everyone else (tokens too) may change documents."""
        return self.user is None or self.user.role != Role.ACCOUNTANT

    @property
    def is_owner(self) -> bool:
        return self.user is not None and self.user.role == Role.OWNER

    @property
    def who(self) -> str:
        """Who made a change, as the history shows it."""
        return self.user.email if self.user else "API"


class LoginRequired(Exception):
    """Raised for pages: the app answers with a redirect to /login."""


def get_store(request: Request) -> Store:
    return request.app.state.store


def optional_caller(request: Request) -> Caller | None:
    """The logged-in browser, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    store = get_store(request)
    with store.session() as session:
        row = resume_session(session=session, token=token)
        if row is None:
            return None
        account = get_account(session=session, account_id=row.account_id)
        return Caller(
            account=account_read(account),
            session=session_read(row),
            user=get_user(session=session, user_id=row.user_id),
        )


def page_caller(request: Request) -> Caller:
    caller = optional_caller(request)
    if caller is None:
        raise LoginRequired
    return caller


def api_caller(request: Request) -> Caller:
    secret = _bearer(request)
    caller = _token_caller(request, secret) if secret is not None else optional_caller(request)
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
        token = authenticate_token(session=session, secret=secret)
        if token is None:
            return None
        account = account_read(get_account(session=session, account_id=token.account_id))
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        wait = limiter.take(token.id)
        if wait:
            raise HTTPException(
                status_code=429,
                detail=f"this token made more than {limiter.per_minute} requests a minute; slow down",
                headers={"Retry-After": str(wait)},
            )
    return Caller(account=account, session=None, token=token)


def scoped(scope: str):
    """A dependency: the API caller, if its token has `scope` (403 naming it otherwise)."""

    def check(caller: Annotated[Caller, Depends(api_caller)]) -> Caller:
        if not caller.may(scope):
            raise HTTPException(status_code=403, detail=f"this token lacks the scope {scope}")
        return caller

    return check


async def check_csrf(request: Request, caller: Annotated[Caller, Depends(page_caller)]) -> Caller:
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if caller.session is None or not hmac.compare_digest(sent, caller.session.csrf_token):
        raise HTTPException(
            status_code=403, detail=N_("The form is out of date. Reload the page and try again.")
        )
    return caller


def editor(caller: Caller) -> Caller:
    """The caller, if they may change documents; accountants get a 403."""
    if not caller.can_edit:
        raise HTTPException(
            status_code=403, detail=N_("Your role can read and export, not change documents.")
        )
    return caller


def owner(caller: Caller) -> Caller:
    if not caller.is_owner:
        raise HTTPException(status_code=403, detail=N_("Only an owner of the account can do this."))
    return caller


def _editing_form(caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
    return editor(caller)


def _owner_form(caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
    return owner(caller)


def _editing_api(caller: Annotated[Caller, Depends(api_caller)]) -> Caller:
    return editor(caller)


def _writing_documents(caller: Annotated[Caller, Depends(scoped("documents:write"))]) -> Caller:
    """A token with the scope, or a signed-in user whose role may change documents."""
    return editor(caller)


PageCaller = Annotated[Caller, Depends(page_caller)]
ApiCaller = Annotated[Caller, Depends(api_caller)]
PageOrApiCaller = Annotated[Caller, Depends(page_or_api_caller)]
FormCaller = Annotated[Caller, Depends(check_csrf)]
EditorForm = Annotated[Caller, Depends(_editing_form)]
OwnerForm = Annotated[Caller, Depends(_owner_form)]
ApiEditor = Annotated[Caller, Depends(_editing_api)]
StoreDep = Annotated[Store, Depends(get_store)]
DocumentsReader = Annotated[Caller, Depends(scoped("documents:read"))]
DocumentsWriter = Annotated[Caller, Depends(_writing_documents)]
SuppliersWriter = Annotated[Caller, Depends(scoped("suppliers:write"))]
HooksCaller = Annotated[Caller, Depends(scoped("hooks"))]
