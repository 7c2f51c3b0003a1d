"""REST hooks (Zapier's subscribe/unsubscribe/sample/perform): `/api/v1/hooks`."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from storage import hooks
from web.api.errors import ApiError
from web.api.schemas import HookAttemptPage, HookCreatedOut, HookIn, HookPage, SamplePage
from web.deps import HooksCaller, StoreDep
from web.webhooks.payloads import payload
from web.webhooks.targets import TargetRefused, resolve

router = APIRouter()


@router.post("/hooks", status_code=201, response_model=HookCreatedOut)
async def subscribe(body: HookIn, request: Request, caller: HooksCaller, store: StoreDep) -> JSONResponse:
    """Subscribe `target_url` to an event; the answer carries the signing secret, once."""
    allow_private = request.app.state.settings.hook_allow_private
    try:
        await asyncio.to_thread(resolve, body.target_url, allow_private=allow_private)
    except TargetRefused as err:
        raise ApiError(400, "bad_target_url", str(err)) from err
    with store.session() as session:
        hook = hooks.subscribe(
            session=session,
            account_id=caller.account.id,
            event=body.event,
            target_url=body.target_url.strip(),
        )
    return JSONResponse(HookCreatedOut.model_validate(hook).model_dump(mode="json"), status_code=201)


@router.get("/hooks")
def list_hooks(caller: HooksCaller, store: StoreDep) -> HookPage:
    with store.session() as session:
        rows = hooks.list_hooks(session=session, account_id=caller.account.id)
    return HookPage.model_validate({"items": rows}, from_attributes=True)


@router.get("/hooks/sample")
def sample(
    caller: HooksCaller,
    store: StoreDep,
    event: Annotated[Literal["document.created", "message.failed"], Query()] = "document.created",
) -> SamplePage:
    """Up to 3 recent real deliveries' bodies for `event`, newest first (a trigger's test data)."""
    with store.session() as session:
        events = hooks.recent_events(session=session, account_id=caller.account.id, type=event)
        bodies = [json.loads(payload(session, item)) for item in events]
    return SamplePage.model_validate({"items": bodies})


@router.delete("/hooks/{hook_id}", status_code=204, response_class=Response)
def unsubscribe(hook_id: str, caller: HooksCaller, store: StoreDep) -> Response:
    with store.session() as session:
        hooks.unsubscribe(session=session, account_id=caller.account.id, hook_id=hook_id)
    return Response(status_code=204)


@router.get("/hooks/{hook_id}/deliveries")
def deliveries(hook_id: str, caller: HooksCaller, store: StoreDep) -> HookAttemptPage:
    """Every attempt, newest first: when, the HTTP status or the error, the next retry."""
    with store.session() as session:
        rows = hooks.attempts_of(session=session, account_id=caller.account.id, hook_id=hook_id)
    return HookAttemptPage.model_validate({"items": rows}, from_attributes=True)


@router.post("/hooks/deliveries/{delivery_id}/retry", status_code=202, response_class=Response)
def retry(delivery_id: str, request: Request, caller: HooksCaller, store: StoreDep) -> Response:
    """Send a delivery again now (also one that was given up on)."""
    with store.session() as session:
        hooks.retry_now(session=session, account_id=caller.account.id, delivery_id=delivery_id)
    request.app.state.wake_dispatcher()
    return Response(status_code=202)
