"""One mail through processing: claim → extract (in the pool) → record. Each stage is small."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from inbox.extract.model import Decision, InvoiceFields, InvoiceLine, Part, PartRecord
from inbox.sandbox import Extracted, ExtractionFailed, ExtractionPool
from storage.db import Store
from storage.messages import claim_next, mark_failed, release_orphaned_claims, release_own_claims
from storage.models import Message
from storage.outcomes import NewDocument, Outcome, PartOutcome, record_outcome
from vocabulary import PART_RECORD_FIELDS, MessageStatus

log = logging.getLogger("inbox.pipeline")
MAX_ATTEMPTS = 3  # a mail that keeps killing its worker is failed, not retried forever
MAX_BODY_CHARS = 500_000
_Value = TypeVar("_Value", PartRecord, InvoiceFields, InvoiceLine)


def claim(store: Store, worker: str, lease: timedelta) -> Message | None:
    with store.session() as session:
        return claim_next(session=session, worker=worker, lease=lease)


def release_orphans(store: Store) -> int:
    """Claims of workers on this host that died (kill -9) are free at once, not at lease end."""
    with store.session() as session:
        return release_orphaned_claims(session=session)


def release_own(store: Store, worker: str) -> int:
    with store.session() as session:
        return release_own_claims(session=session, worker=worker)


async def process(store: Store, pool: ExtractionPool, message: Message) -> str:
    """Process one claimed message; returns its final status."""
    if message.attempts > MAX_ATTEMPTS:
        result: Extracted | ExtractionFailed = ExtractionFailed(f"gave up after {MAX_ATTEMPTS} attempts")
    else:
        result = await pool.extract(message.raw_sha256)
    return await asyncio.to_thread(record, store, message.id, result)


def record(store: Store, message_id: str, result: Extracted | ExtractionFailed) -> str:
    if isinstance(result, Extracted):
        try:
            with store.session() as session:
                message = record_outcome(session=session, message_id=message_id, outcome=to_outcome(result))
            log.info("processed id=%s status=%s: %s", message_id, message.status, message.reason)
            return message.status
        except Exception as err:  # e.g. a value the database refuses: fail visibly, keep the raw mail
            log.exception("could not record id=%s", message_id)
            result = ExtractionFailed(f"could not record the result: {type(err).__name__}: {err}"[:500])
    with store.session() as session:
        mark_failed(session=session, message_id=message_id, reason=result.reason)
    log.warning("failed id=%s: %s", message_id, result.reason)
    return MessageStatus.FAILED


def to_outcome(result: Extracted) -> Outcome:
    mail = result.mail
    return Outcome(
        sender=storable(mail.sender),
        subject=storable(mail.subject),
        message_id=storable(mail.message_id),
        text_body=storable(mail.text_body[:MAX_BODY_CHARS]),
        html_body=storable(mail.html_body[:MAX_BODY_CHARS]),
        parts=[_part_record(part, result.blobs.get(part.path)) for part in mail.parts],
    )


def _part_record(part: Part, sha256: str | None) -> PartOutcome:
    document = None
    if part.decision is Decision.DOCUMENT and sha256 is not None:
        if part.kind is None:  # extraction always sets one: fail the mail visibly, keep the raw
            raise ValueError(f"document part {part.path} has no kind")
        pdf = part.pdf
        document = NewDocument(
            sha256=sha256,
            content_type=part.detected_type,
            kind=part.kind,
            pages=pdf.pages if pdf else None,
            encrypted=pdf.encrypted if pdf else False,
            unreadable=pdf.unreadable if pdf else False,
            from_archive=part.from_archive,
            text=storable(pdf.text) if pdf else "",
            invoice=_storable_values(part.invoice) if part.invoice else None,
        )
    # The record is the part's own PartRecord fields, taken as they are (texts made storable).
    record = PartRecord(**{name: getattr(part, name) for name in PART_RECORD_FIELDS})
    return PartOutcome(record=_storable_values(record), document=document)


def storable(text: str) -> str:
    """Text the database accepts: lone surrogates (from broken PDFs and headers) become U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _storable_values(value: _Value) -> _Value:
    """The same value with every text in it (line items too) made storable."""
    changes: dict[str, Any] = {}
    for item in dataclasses.fields(value):
        current = getattr(value, item.name)
        if isinstance(current, str) and not isinstance(current, StrEnum):
            changes[item.name] = storable(current)
        elif isinstance(current, tuple) and current and dataclasses.is_dataclass(current[0]):
            changes[item.name] = tuple(_storable_values(v) for v in current)
    return dataclasses.replace(value, **changes)
