"""The trash: deleted documents stay restorable for KEEP_DAYS, then are purged for good."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from storage.corrections import record_changes
from storage.db import Store
from storage.errors import NotFound
from storage.models import Document, DocumentChange, DocumentTag, Thumbnail, utcnow
from storage.read_models import DocumentRead, document_read
from storage.teaching import forget_requests

KEEP_DAYS = 30


def move_to_trash(*, session: Session, account_id: str, document_ids: list[str], user_email: str) -> int:
    """Deletes documents of the account (soft: restorable); returns how many moved."""
    moved = 0
    now = utcnow()
    for document_id in dict.fromkeys(document_ids):
        document = _of_account(session, account_id, document_id)
        if document.deleted_at is None:
            document.deleted_at = now
            session.add(document)
            record_changes(session, document.id, user_email, [("deleted", "", "")])
            moved += 1
    return moved


def restore(*, session: Session, account_id: str, document_id: str, user_email: str) -> DocumentRead:
    document = _of_account(session, account_id, document_id)
    if document.deleted_at is not None:
        document.deleted_at = None
        session.add(document)
        record_changes(session, document.id, user_email, [("restored", "", "")])
    return document_read(document)


def list_trash(*, session: Session, account_id: str, limit: int = 500) -> list[tuple[DocumentRead, datetime]]:
    """Deleted documents, most recently deleted first, with when each was deleted."""
    rows = session.exec(
        select(Document)
        .where(Document.account_id == account_id, col(Document.deleted_at).is_not(None))
        .order_by(col(Document.deleted_at).desc(), col(Document.id))
        .limit(limit)
    )
    return [(document_read(row), row.deleted_at) for row in rows if row.deleted_at is not None]


def purge_expired(store: Store, now: datetime | None = None) -> int:
    """Removes documents deleted more than KEEP_DAYS ago, then the files (and their thumbnails)
    no document uses any more: after the commit, so a failed commit loses no file."""
    cutoff = (now or utcnow()) - timedelta(days=KEEP_DAYS)
    with store.session() as session:
        expired = list(session.exec(select(Document).where(col(Document.deleted_at) < cutoff)))
        for document in expired:
            session.exec(delete(DocumentTag).where(col(DocumentTag.document_id) == document.id))
            session.exec(delete(DocumentChange).where(col(DocumentChange.document_id) == document.id))
            forget_requests(session, document.id)
            session.delete(document)
        session.flush()
        unused: list[str] = []
        for sha256 in {d.sha256 for d in expired}:
            if session.exec(select(Document.id).where(Document.sha256 == sha256).limit(1)).first() is None:
                thumbnail = session.get(Thumbnail, sha256)
                if thumbnail is not None:
                    unused += [thumbnail.png_sha256] if thumbnail.png_sha256 else []
                    session.delete(thumbnail)
                unused.append(sha256)
    for sha256 in unused:
        store.blobs.delete(sha256)
    return len(expired)


def _of_account(session: Session, account_id: str, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.account_id != account_id:
        raise NotFound("document")
    return document
