"""The connection test and the plan's usage: `GET /api/v1/me`, `GET /api/v1/usage`."""

from __future__ import annotations

from fastapi import APIRouter, Request

from storage.usage import usage as account_usage
from web.api.schemas import Me, MeAccount, MeToken, UsageOut
from web.deps import ApiCaller, StoreDep

router = APIRouter()


@router.get("/me")
def me(request: Request, caller: ApiCaller) -> Me:
    """Who the token acts for: what an automation platform shows after connecting."""
    account = caller.account
    token = caller.token
    return Me(
        account=MeAccount(
            id=account.id,
            name=account.name,
            inbox_address=request.app.state.settings.inbox_address(account.inbox_local),
        ),
        token=None if token is None else MeToken(id=token.id, name=token.name, scopes=list(token.scopes)),
    )


@router.get("/usage")
def usage(caller: ApiCaller, store: StoreDep) -> UsageOut:  # type: ignore[valid-type]
    """What the account used of its plan this month (limits null: unlimited)."""
    with store.session() as session:
        return UsageOut.model_validate(account_usage(session=session, account_id=caller.account.id))
