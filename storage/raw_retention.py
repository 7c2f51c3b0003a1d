"""INBOX_RAW_RETENTION_DAYS: the raw mails of processed messages go after that many days.

The message row stays (its log, part log and documents are what people look at) and records
when its raw mail was removed; the documents' files are blobs of their own and stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from storage.blob_references import unreferenced
from storage.db import Store
from storage.models import Message, utcnow
from vocabulary import MessageStatus

BATCH = 500  # messages a transaction: bounded memory and short locks on a large backlog

REMOVED_REASON = "the raw mail was removed by retention"


def remove_old_raw_mails(store: Store, days: int, now: datetime | None = None) -> int:
    """Removes the raw mails of processed messages received more than `days` ago; returns how
    many messages lost theirs. Mails still waiting for (or in) processing keep theirs."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    removed = 0
    while True:
        with store.session() as session:
            batch = list(
                session.exec(
                    select(Message)
                    .where(
                        col(Message.received_at) < cutoff,
                        col(Message.raw_removed_at).is_(None),
                        Message.status != MessageStatus.RECEIVED,
                        Message.source == "mail",  # an upload's raw bytes are its document's file
                    )
                    .limit(BATCH)
                )
            )
            stamp = utcnow()
            for message in batch:
                message.raw_removed_at = stamp
                session.add(message)
            session.flush()
            gone = unreferenced(session, {m.raw_sha256 for m in batch})
        for sha256 in gone:  # after the commit: a failed commit loses no mail
            store.blobs.delete(sha256)
        removed += len(batch)
        if len(batch) < BATCH:
            return removed
