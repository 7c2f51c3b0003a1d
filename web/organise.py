"""Correcting and organising documents in the browser: the edit form, bulk tags, delete,
the trash and restore. The same storage calls serve PATCH and restore in /api/v1 (web/api/edits.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from storage.corrections import BadValue, Edit, add_tag, apply_edit, split_tags
from storage.trash import KEEP_DAYS, list_trash, move_to_trash, restore
from vocabulary import EDITABLE_INVOICE_FIELDS
from web.deps import EditorForm, PageCaller, StoreDep
from web.i18n import N_
from web.pages import render_document
from web.templating import render

router = APIRouter()
MAX_SELECTION = 500


@router.post("/documents/{document_id}/edit")
async def edit_document(document_id: str, request: Request, caller: EditorForm, store: StoreDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in EDITABLE_INVOICE_FIELDS if name in form}
    edit = Edit(
        invoice=values or None,
        tags=split_tags(str(form["tags"])) if "tags" in form else None,
        note=str(form["note"]).replace("\r\n", "\n") if "note" in form else None,
    )
    try:
        with store.session() as session:
            apply_edit(
                session=session,
                account_id=caller.account.id,
                document_id=document_id,
                user_email=caller.who,
                edit=edit,
            )
    except BadValue as err:
        return render_document(request, caller, store, document_id, error=str(err), status_code=400)
    return RedirectResponse(f"/documents/{document_id}?done=saved", status_code=303)


@router.post("/documents/tag")
def tag_selection(
    caller: EditorForm,
    store: StoreDep,
    ids: Annotated[list[str] | None, Form(alias="id")] = None,
    tag: Annotated[str, Form()] = "",
) -> Response:
    chosen = _selection(ids)
    try:
        with store.session() as session:
            add_tag(
                session=session,
                account_id=caller.account.id,
                document_ids=chosen,
                user_email=caller.who,
                tag=tag,
            )
    except BadValue as err:
        raise HTTPException(status_code=400, detail=N_("Type a tag first.")) from err
    return RedirectResponse("/documents?done=tagged", status_code=303)


@router.post("/documents/delete")
def delete_selection(
    caller: EditorForm, store: StoreDep, ids: Annotated[list[str] | None, Form(alias="id")] = None
) -> Response:
    chosen = _selection(ids)
    with store.session() as session:
        move_to_trash(
            session=session, account_id=caller.account.id, document_ids=chosen, user_email=caller.who
        )
    return RedirectResponse(f"/documents?done=deleted&n={len(chosen)}", status_code=303)


@router.get("/trash")
def trash_page(request: Request, caller: PageCaller, store: StoreDep, done: str = "") -> Response:
    with store.session() as session:
        deleted = list_trash(session=session, account_id=caller.account.id)
    return render(request, "trash.html", caller=caller, deleted=deleted, keep_days=KEEP_DAYS, done=done)


@router.post("/trash/{document_id}/restore")
def restore_document(document_id: str, caller: EditorForm, store: StoreDep) -> Response:
    with store.session() as session:
        restore(session=session, account_id=caller.account.id, document_id=document_id, user_email=caller.who)
    return RedirectResponse("/trash?done=restored", status_code=303)


def _selection(ids: list[str] | None) -> list[str]:
    if not ids:
        raise HTTPException(status_code=400, detail=N_("Select at least one document."))
    if len(ids) > MAX_SELECTION:
        raise HTTPException(status_code=400, detail=N_("Too many documents at once."))
    return ids
