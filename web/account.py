"""Inbox settings (address, allowed senders) and the users' own password."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from storage.accounts import (
    check_password,
    regenerate_address,
    set_allowed_senders,
    set_password,
    start_session_for,
    users_of_account,
)
from vocabulary import Role
from web.cookies import set_session_cookie
from web.deps import EditorForm, FormCaller, PageCaller, StoreDep
from web.i18n import time_zones
from web.templating import render

router = APIRouter()
MIN_PASSWORD_LENGTH = 10
MAX_ALLOWED_SENDERS = 200
# An address (billing@supplier.com) or a whole domain (@supplier.com).
SENDER_ENTRY = re.compile(r"[^@\s]*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@router.get("/inbox")
def inbox_page(request: Request, caller: PageCaller, done: str = "") -> Response:
    return render(
        request,
        "inbox.html",
        caller=caller,
        address=request.app.state.settings.inbox_address(caller.account.inbox_local),
        allowed_senders=caller.account.allowed_senders,
        done=done,
    )


@router.post("/inbox/regenerate")
def regenerate(
    request: Request, caller: EditorForm, store: StoreDep, confirm: Annotated[str, Form()] = ""
) -> Response:
    if confirm != "yes":  # the checkbox says the old address stops working
        return RedirectResponse("/inbox?done=not_confirmed", status_code=303)
    with store.session() as session:
        regenerate_address(session=session, account_id=caller.account.id)
    request.app.state.inboxes_changed()
    return RedirectResponse("/inbox?done=regenerated", status_code=303)


@router.post("/inbox/senders")
def save_allowed_senders(
    request: Request, caller: EditorForm, store: StoreDep, senders: Annotated[str, Form()] = ""
) -> Response:
    lines = [line.strip() for line in senders.splitlines() if line.strip()]
    wrong = [line for line in lines if not SENDER_ENTRY.fullmatch(line)]
    if wrong:  # refused as a whole, so a typo never silently narrows who may send
        return render(
            request,
            "inbox.html",
            status_code=400,
            caller=caller,
            address=request.app.state.settings.inbox_address(caller.account.inbox_local),
            allowed_senders=senders,
            done="",
            wrong_senders=wrong,
        )
    with store.session() as session:
        set_allowed_senders(
            session=session, account_id=caller.account.id, senders=lines[:MAX_ALLOWED_SENDERS]
        )
    request.app.state.inboxes_changed()
    return RedirectResponse("/inbox?done=senders", status_code=303)


@router.post("/inbox/senders/allow")
def allow_sender(
    request: Request, caller: EditorForm, store: StoreDep, sender: Annotated[str, Form()] = ""
) -> Response:
    """One click from the mail log's refused senders: the address joins the allowed list."""
    address = sender.strip().lower()
    current = [line for line in caller.account.allowed_senders.splitlines() if line.strip()]
    if SENDER_ENTRY.fullmatch(address) and address not in current:
        with store.session() as session:
            set_allowed_senders(
                session=session,
                account_id=caller.account.id,
                senders=[*current, address][:MAX_ALLOWED_SENDERS],
            )
        request.app.state.inboxes_changed()
    return RedirectResponse("/inbox?done=senders", status_code=303)


@router.get("/account")
def account_page(
    request: Request, caller: PageCaller, store: StoreDep, done: str = "", error: str = ""
) -> Response:
    return render_account(request, caller, store, done=done, error=error)


@router.post("/account/password")
def change_password(
    request: Request,
    caller: FormCaller,
    store: StoreDep,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    assert caller.session is not None  # check_csrf lets only web sessions through
    user_id = caller.session.user_id
    with store.session() as session:
        if not check_password(session=session, user_id=user_id, password=current):
            error = "wrong_current"
        elif len(new) < MIN_PASSWORD_LENGTH:
            error = "too_short"
        elif new != repeat:
            error = "mismatch"
        else:
            error = ""
            set_password(session=session, user_id=user_id, password=new)  # ends every session
            token = start_session_for(session=session, user_id=user_id)
    if error:
        return render_account(request, caller, store, error=error, status_code=400)
    response = RedirectResponse("/account?done=password", status_code=303)
    set_session_cookie(request, response, token)
    return response


def render_account(
    request, caller, store, *, done="", error="", status_code=200, invited: tuple[str, str] | None = None
) -> Response:
    """The team and settings page; `invited` is a new user's e-mail and first password, shown once."""
    with store.session() as session:
        users = users_of_account(session=session, account_id=caller.account.id)
    return render(
        request,
        "account.html",
        status_code=status_code,
        caller=caller,
        users=users,
        me=caller.session.user_id,
        done=done,
        error=error,
        min_length=MIN_PASSWORD_LENGTH,
        invited=invited,
        roles=[r.value for r in Role],
        time_zones=time_zones(),
    )
