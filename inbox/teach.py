"""A user's correction teaches where the document's supplier prints that field.

The web records the correction with a request to learn from it (storage/teaching.py); the
worker claims the request and `teach` has the document read again in the extraction pool
(its text layer, or OCR for a scan or photo: untrusted input, read under the pool's time and
memory bounds), finds the corrected value on it, and remembers the label and place for the
supplier (the sender's address) in the account; the next mail from that supplier is read
there first (pipeline passes the account's hints to extraction).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from decimal import Decimal

from inbox.extract.hints import FIELDS, Hint, sender_address
from inbox.sandbox import ExtractionPool
from storage.db import Store
from storage.hints import remember_hint
from storage.teaching import Lesson, claim_lesson, done_with

log = logging.getLogger("inbox.teach")


def claim(store: Store, worker: str, lease: timedelta) -> Lesson | None:
    with store.session() as session:
        return claim_lesson(session, worker, lease)


async def teach(store: Store, pool: ExtractionPool, lesson: Lesson) -> Hint | None:
    """Learn from one claimed correction, then drop the request whatever happened: a failed
    learning is logged, never retried (the next correction asks again)."""
    try:
        hint = await _learn(store, pool, lesson)
    except Exception:
        log.exception(
            "could not learn from the correction of %s on document %s; dropped",
            lesson.field,
            lesson.document_id,
        )
        hint = None
    await asyncio.to_thread(_done, store, lesson.id)
    return hint


async def _learn(store: Store, pool: ExtractionPool, lesson: Lesson) -> Hint | None:
    supplier = sender_address(lesson.sender)
    if lesson.field not in FIELDS or not supplier:
        return None
    hint = await pool.learn(lesson.sha256, lesson.field, _typed(lesson.field, lesson.value))
    if hint is None:
        log.info("the corrected %s is not printed on document %s", lesson.field, lesson.document_id)
        return None
    await asyncio.to_thread(_remember, store, lesson.account_id, supplier, hint)
    return hint


def _typed(field: str, value: str) -> str | date | Decimal:
    if field == "issue_date":
        return date.fromisoformat(value)
    return Decimal(value) if field == "total" else value


def _remember(store: Store, account_id: str, supplier: str, hint: Hint) -> None:
    with store.session() as session:
        remember_hint(
            session=session,
            account_id=account_id,
            supplier=supplier,
            field=hint.field,
            label=hint.label,
            place=hint.place,
        )


def _done(store: Store, lesson_id: str) -> None:
    with store.session() as session:
        done_with(session, lesson_id)
