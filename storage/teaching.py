"""Corrections waiting to teach: the web writes one with the correction (it may not read
documents itself), the worker claims it, learns from it (inbox/teach.py) and deletes it,
whether the learning worked or not: a correction is tried once, never retried forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, delete

from storage.claims import claim
from storage.models import Document, TeachRequest
from vocabulary import TAUGHT_INVOICE_FIELDS


@dataclass(frozen=True, slots=True)
class Lesson:
    """A claimed request with what the learning needs: the document's bytes and sender."""

    id: str
    account_id: str
    document_id: str
    field: str
    value: str
    sha256: str
    sender: str


def ask_to_learn(session: Session, document: Document, field: str, value: str | None) -> None:
    """Called with a correction; a cleared field or one not read by position teaches nothing.
    A newer correction of the same field replaces a request not yet taken."""
    if field not in TAUGHT_INVOICE_FIELDS or value is None or value == "":
        return
    session.exec(
        delete(TeachRequest).where(
            col(TeachRequest.document_id) == document.id,
            col(TeachRequest.field) == field,
            col(TeachRequest.claimed_by).is_(None),
        )
    )
    session.add(
        TeachRequest(account_id=document.account_id, document_id=document.id, field=field, value=value)
    )


def claim_lesson(session: Session, worker: str, lease: timedelta) -> Lesson | None:
    """The oldest request no worker holds, or None."""
    taken = claim(
        session,
        TeachRequest,
        ready=col(TeachRequest.id).is_not(None),
        order_by=col(TeachRequest.created_at),
        worker=worker,
        lease=lease,
    )
    if taken is None:
        return None
    request = session.get(TeachRequest, taken)
    document = session.get(Document, request.document_id) if request else None
    if request is None or document is None or document.deleted_at is not None:
        session.exec(delete(TeachRequest).where(col(TeachRequest.id) == taken))
        return None
    return Lesson(
        id=request.id,
        account_id=request.account_id,
        document_id=request.document_id,
        field=request.field,
        value=request.value,
        sha256=document.sha256,
        sender=document.sender,
    )


def done_with(session: Session, lesson_id: str) -> None:
    session.exec(delete(TeachRequest).where(col(TeachRequest.id) == lesson_id))


def forget_requests(session: Session, document_id: str) -> None:
    """Before a document goes for good."""
    session.exec(delete(TeachRequest).where(col(TeachRequest.document_id) == document_id))
