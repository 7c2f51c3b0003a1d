"""The team, in the web: owners add users (with a first password shown once), set their
roles and remove them; every user picks a time zone and a language."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from storage.accounts import add_user, remove_user, set_preferences, set_role
from storage.errors import Conflict
from vocabulary import Role
from web.account import render_account
from web.cookies import set_cookie
from web.deps import FormCaller, OwnerForm, StoreDep
from web.i18n import LANGUAGE_COOKIE, LANGUAGES, N_, zone_of
from web.language import ONE_YEAR

router = APIRouter()


@router.post("/account/users")
def invite_user(
    request: Request,
    caller: OwnerForm,
    store: StoreDep,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = Role.MEMBER.value,
) -> Response:
    if "@" not in email or len(email) > 254:
        return render_account(request, caller, store, error="bad_email", status_code=400)
    password = secrets.token_urlsafe(12)
    try:
        with store.session() as session:
            add_user(
                session=session,
                account_id=caller.account.id,
                email=email,
                password=password,
                role=_role(role),
            )
    except Conflict:
        return render_account(request, caller, store, error="email_taken", status_code=400)
    return render_account(request, caller, store, invited=(email.strip().lower(), password))


@router.post("/account/users/{user_id}/role")
def change_role(
    user_id: str, caller: OwnerForm, store: StoreDep, role: Annotated[str, Form()] = ""
) -> Response:
    try:
        with store.session() as session:
            set_role(session=session, account_id=caller.account.id, user_id=user_id, role=_role(role))
    except Conflict:
        return RedirectResponse("/account?error=last_owner", status_code=303)
    return RedirectResponse("/account?done=role", status_code=303)


@router.post("/account/users/{user_id}/remove")
def remove(user_id: str, caller: OwnerForm, store: StoreDep) -> Response:
    try:
        with store.session() as session:
            remove_user(session=session, account_id=caller.account.id, user_id=user_id)
    except Conflict:
        return RedirectResponse("/account?error=last_owner", status_code=303)
    return RedirectResponse("/account?done=removed", status_code=303)


@router.post("/account/preferences")
def save_preferences(
    request: Request,
    caller: FormCaller,
    store: StoreDep,
    time_zone: Annotated[str, Form()] = "UTC",
    language: Annotated[str, Form()] = "",
) -> Response:
    assert caller.session is not None  # check_csrf lets only web sessions through
    zone = time_zone if str(zone_of(time_zone)) == time_zone else "UTC"
    chosen = language if language in LANGUAGES else ""
    with store.session() as session:
        set_preferences(session=session, user_id=caller.session.user_id, time_zone=zone, language=chosen)
    response = RedirectResponse("/account?done=preferences", status_code=303)
    if chosen:  # the switch's cookie would otherwise win over the saved language
        set_cookie(request, response, LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR)
    else:
        response.delete_cookie(LANGUAGE_COOKIE)
    return response


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise HTTPException(status_code=400, detail=N_("Choose owner, member or accountant.")) from None
