"""A user's correction teaches where the document's supplier prints that field.

`teach` reads the corrected document again (its text layer, or OCR for a scan or photo), finds
the corrected value on it, and remembers the label and place for the supplier (the sender's
address) in the account; the next mail from that supplier is read there first (pipeline passes
the account's hints to extraction). Called by whatever records the correction (the web's edit,
`PATCH /api/v1/documents/{id}`); it reads a document, so call it off the event loop.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from inbox.extract.hints import FIELDS, Hint, learn, sender_address
from inbox.extract.ocr import OcrAllowance
from inbox.extract.reading import layout_of
from storage.db import Store
from storage.documents import get_document
from storage.hints import remember_hint


def teach(
    store: Store, account_id: str, document_id: str, field: str, value: str | date | Decimal
) -> Hint | None:
    """Learn from a corrected field; None when the value is not printed on the document (or
    the field is not one that is read by position, or the sender has no address)."""
    if field not in FIELDS:
        return None
    with store.session() as session:
        document = get_document(session=session, account_id=account_id, document_id=document_id)
        supplier, sha256 = sender_address(document.sender), document.sha256
    if not supplier:
        return None
    layout = layout_of(store.blobs.read(sha256), OcrAllowance())
    hint = learn(layout, field, value) if layout is not None else None
    if hint is None:
        return None
    with store.session() as session:
        remember_hint(
            session=session,
            account_id=account_id,
            supplier=supplier,
            field=hint.field,
            label=hint.label,
            place=hint.place,
        )
    return hint
