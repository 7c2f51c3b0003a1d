"""The Integrations page (connections, deliveries, usage) and the Suppliers page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from storage import hooks, suppliers
from storage.tokens import SCOPES, create_token, list_tokens, revoke_token
from storage.usage import suppliers_over_quota, usage
from web.deps import FormCaller, PageCaller, StoreDep
from web.templating import render

router = APIRouter()
MAX_NAME = 100


@router.get("/integrations")
def integrations_page(request: Request, caller: PageCaller, store: StoreDep, done: str = "") -> Response:
    return _integrations(request, caller, store, done=done)


@router.post("/integrations/tokens")
def connect(
    request: Request,
    caller: FormCaller,
    store: StoreDep,
    name: Annotated[str, Form()] = "",
    scope: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """A new token, shown on the answer to this request only (it is stored hashed)."""
    wanted = [s for s in (scope or []) if s in SCOPES]
    with store.session() as session:
        token, secret = create_token(
            session=session,
            account_id=caller.account.id,
            name=name.strip()[:MAX_NAME] or "automation",
            scopes=wanted,
        )
    return _integrations(request, caller, store, new_secret=secret, new_token=token)


@router.post("/integrations/tokens/{token_id}/revoke")
def disconnect(token_id: str, caller: FormCaller, store: StoreDep) -> Response:
    with store.session() as session:
        revoke_token(session=session, token_id=token_id, account_id=caller.account.id)
    return RedirectResponse("/integrations?done=disconnected", status_code=303)


@router.post("/integrations/deliveries/{delivery_id}/retry")
def retry(delivery_id: str, request: Request, caller: FormCaller, store: StoreDep) -> Response:
    with store.session() as session:
        hooks.retry_now(session=session, account_id=caller.account.id, delivery_id=delivery_id)
    request.app.state.wake_dispatcher()
    return RedirectResponse("/integrations?done=retry", status_code=303)


def _integrations(request, caller, store, *, done="", new_secret=None, new_token=None) -> Response:
    account_id = caller.account.id
    with store.session() as session:
        tokens = list_tokens(session=session, account_id=account_id)
        subscriptions = hooks.list_hooks(session=session, account_id=account_id)
        attempts = hooks.recent_attempts(session=session, account_id=account_id)
        used = usage(session=session, account_id=account_id)
    return render(
        request,
        "integrations.html",
        caller=caller,
        tokens=tokens,
        hooks=subscriptions,
        attempts=attempts,
        usage=used,
        scopes=SCOPES,
        done=done,
        new_secret=new_secret,
        new_token=new_token,
    )


@router.get("/suppliers")
def suppliers_page(request: Request, caller: PageCaller, store: StoreDep, done: str = "") -> Response:
    return _suppliers(request, caller, store, done=done)


@router.get("/suppliers/{supplier_id}")
def supplier_page(supplier_id: str, request: Request, caller: PageCaller, store: StoreDep) -> Response:
    with store.session() as session:
        supplier = suppliers.get_supplier(
            session=session, account_id=caller.account.id, supplier_id=supplier_id
        )
    return render(request, "supplier.html", caller=caller, supplier=supplier)


@router.post("/suppliers")
def save_supplier(
    request: Request,
    caller: FormCaller,
    store: StoreDep,
    name: Annotated[str, Form()] = "",
    emails: Annotated[str, Form()] = "",
    vat_id: Annotated[str, Form()] = "",
    iban: Annotated[str, Form()] = "",
) -> Response:
    """Create or update (matched by VAT id, else e-mail), as the API's action does."""
    if not name.strip():
        return _suppliers(request, caller, store, error="name", status_code=400)
    wanted = suppliers.SupplierIn(
        name=name.strip()[:300],
        emails=tuple(emails.replace(",", "\n").splitlines())[:50],
        vat_id=vat_id[:50] or None,
        iban=iban[:50] or None,
    )
    with store.session() as session:
        known = suppliers.find_supplier(session=session, account_id=caller.account.id, supplier=wanted)
        if known is None and suppliers_over_quota(session=session, account_id=caller.account.id):
            error = "quota"
        else:
            error = ""
            suppliers.upsert_supplier(session=session, account_id=caller.account.id, supplier=wanted)
    if error:
        return _suppliers(request, caller, store, error=error, status_code=429)
    return RedirectResponse("/suppliers?done=saved", status_code=303)


def _suppliers(request, caller, store, *, done="", error="", status_code=200) -> Response:
    with store.session() as session:
        rows = suppliers.list_suppliers(session=session, account_id=caller.account.id)
    return render(
        request,
        "suppliers.html",
        status_code=status_code,
        caller=caller,
        suppliers=rows,
        done=done,
        error=error,
    )
