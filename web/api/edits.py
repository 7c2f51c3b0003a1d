"""`PATCH /api/v1/documents/{id}` (corrections, tags, note) and `POST .../restore` (trash),
through the same storage calls as the detail page's form and the trash page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from storage.corrections import BadValue, Edit, apply_edit
from storage.documents import get_document
from storage.trash import restore
from vocabulary import EDITABLE_INVOICE_FIELDS
from web.api.errors import ApiError
from web.api.schemas import DocumentOut
from web.deps import ApiEditor, StoreDep

router = APIRouter()


class DocumentPatch(BaseModel):
    """Any of the parts; a part left out is left as it is."""

    model_config = ConfigDict(extra="forbid")
    invoice: dict[str, Any] | None = Field(
        default=None,
        description=f"corrected fields, any of {', '.join(EDITABLE_INVOICE_FIELDS)}; null clears one",
    )
    tags: list[str] | None = Field(
        default=None, description="the document's tags, replacing the current ones"
    )
    note: str | None = None


@router.patch("/documents/{document_id}")
def patch_document(document_id: str, patch: DocumentPatch, caller: ApiEditor, store: StoreDep) -> DocumentOut:  # type: ignore[valid-type]
    """Corrects invoice fields (they then report `"source": "user"` in `corrections` and are kept
    when the mail is processed again), sets tags or the note. Every change is recorded."""
    edit = Edit(invoice=patch.invoice, tags=patch.tags, note=patch.note)
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
        raise ApiError(400, "bad_value", str(err)) from err
    with store.session() as session:
        return DocumentOut.model_validate(
            get_document(session=session, account_id=caller.account.id, document_id=document_id)
        )


@router.post("/documents/{document_id}/restore")
def restore_document(document_id: str, caller: ApiEditor, store: StoreDep) -> DocumentOut:  # type: ignore[valid-type]
    """Takes a document out of the trash (a deleted document stays there 30 days)."""
    with store.session() as session:
        restore(session=session, account_id=caller.account.id, document_id=document_id, user_email=caller.who)
    with store.session() as session:
        return DocumentOut.model_validate(
            get_document(session=session, account_id=caller.account.id, document_id=document_id)
        )
