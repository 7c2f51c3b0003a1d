"""One mail through processing: claim → extract (in the pool) → record. Each stage is small."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

from inbox.extract.hints import Hint
from inbox.extract.model import Decision, DocumentKind, InvoiceFields, InvoiceLine, Part, PartRecord
from inbox.logformat import about
from inbox.sandbox import Extracted, ExtractionFailed, ExtractionPool, HintBook
from storage.db import Store
from storage.errors import ClaimLost
from storage.hints import hint_book
from storage.messages import (
    charge_crashed_worker,
    claim_next,
    defer,
    mark_failed,
    release_orphaned_claims,
    release_own_claims,
)
from storage.models import Message
from storage.outcomes import NewDocument, Outcome, PartOutcome, record_outcome
from vocabulary import PART_RECORD_FIELDS, MessageStatus, TextSource

log = logging.getLogger("inbox.pipeline")
MAX_CRASHES = 3  # a mail that keeps killing its worker is failed, not retried forever
MAX_BODY_CHARS = 500_000
RETRY_MIN, RETRY_MAX = timedelta(seconds=5), timedelta(hours=1)
# Outages (blob store, disk, database) are not the mail's fault for as long as a sending MTA
# keeps a mail in its queue (Postfix's maximal_queue_lifetime); after that the mail fails
# visibly, its raw bytes kept for a reprocess.
RETRY_FOR = timedelta(days=5)
_Value = TypeVar("_Value", PartRecord, InvoiceFields, InvoiceLine)


def claim(store: Store, worker: str, lease: timedelta, account_share: int | None = None) -> Message | None:
    with store.session() as session:
        return claim_next(session=session, worker=worker, lease=lease, account_share=account_share)


def charge_crash(store: Store, pid: int) -> int:
    """Worker process `pid` died while the service ran: its mails count an attempt each."""
    with store.session() as session:
        return charge_crashed_worker(session=session, pid=pid)


def release_orphans(store: Store) -> int:
    """Claims of workers on this host that died (kill -9) are free at once, not at lease end."""
    with store.session() as session:
        return release_orphaned_claims(session=session)


def release_own(store: Store, worker: str) -> int:
    with store.session() as session:
        return release_own_claims(session=session, worker=worker)


async def process(store: Store, pool: ExtractionPool, message: Message) -> str | None:
    """Process one claimed message; returns its final status, or None when its claim passed
    to another worker meanwhile (this one stalled past its lease) and the result was dropped."""
    worker = message.claimed_by
    assert worker is not None, "process only a claimed message"
    if message.attempts >= MAX_CRASHES:
        reason = f"gave up after {message.attempts} crashes of the worker processing it"
        result: Extracted | ExtractionFailed = ExtractionFailed(reason)
    else:
        book = await asyncio.to_thread(hint_book_of, store, message.account_id)
        result = await pool.extract(message.raw_sha256, book)
    return await asyncio.to_thread(record, store, message.id, worker, result)


def hint_book_of(store: Store, account_id: str) -> HintBook:
    """What the account's corrections taught, per supplier, for the extraction of its mail."""
    book: dict[str, list[Hint]] = {}
    with store.session() as session:
        for row in hint_book(session=session, account_id=account_id):
            book.setdefault(row.supplier, []).append(Hint(row.field, row.label, row.place))
    return {supplier: tuple(hints) for supplier, hints in book.items()}


def record(store: Store, message_id: str, worker: str, result: Extracted | ExtractionFailed) -> str | None:
    """Record the result if `worker` still holds the mail; None (and nothing written) if not."""
    try:
        return _record(store, message_id, worker, result)
    except ClaimLost:
        log.warning(
            "dropped the result of id=%s: its claim passed to another worker while this one worked",
            message_id,
            extra=about(message_id),
        )
        return None


def _record(store: Store, message_id: str, worker: str, result: Extracted | ExtractionFailed) -> str:
    if isinstance(result, Extracted):
        try:
            with store.session() as session:
                message = record_outcome(
                    session=session, message_id=message_id, worker=worker, outcome=to_outcome(result)
                )
            log.info(
                "processed id=%s status=%s: %s",
                message_id,
                message.status,
                message.reason,
                extra=about(message_id),
            )
            return message.status
        except OperationalError as err:  # database locked, unavailable or full: not the mail's fault
            log.warning("could not record id=%s: %s", message_id, err)
            result = ExtractionFailed(f"could not record the result: {err}"[:500], transient=True)
        except ClaimLost:
            raise
        except Exception as err:  # e.g. a value the database refuses: fail visibly, keep the raw mail
            log.exception("could not record id=%s", message_id, extra=about(message_id))
            result = ExtractionFailed(f"could not record the result: {type(err).__name__}: {err}"[:500])
    if result.transient:
        return _defer(store, message_id, worker, result.reason)
    return _fail(store, message_id, worker, result.reason)


def _fail(store: Store, message_id: str, worker: str, reason: str) -> str:
    with store.session() as session:
        mark_failed(session=session, message_id=message_id, worker=worker, reason=reason)
    log.warning("failed id=%s: %s", message_id, reason, extra=about(message_id))
    return MessageStatus.FAILED


def _defer(store: Store, message_id: str, worker: str, reason: str) -> str:
    with store.session() as session:
        retry_at = defer(
            session=session, message_id=message_id, worker=worker, reason=reason, delay=retry_delay
        )
    if retry_at is None:
        return _fail(store, message_id, worker, f"gave up after {RETRY_FOR.days} days of retries: {reason}")
    log.warning("deferred id=%s until %s: %s", message_id, retry_at.isoformat(timespec="seconds"), reason)
    return "received"


def retry_delay(age: timedelta) -> timedelta | None:
    """Backoff without a counter: a mail waits a quarter of its age before its next try, at
    least 5 s and at most an hour (first tries within seconds, a day-long outage hourly);
    None once it has waited RETRY_FOR."""
    if age >= RETRY_FOR:
        return None
    return min(max(age / 4, RETRY_MIN), RETRY_MAX)


def to_outcome(result: Extracted) -> Outcome:
    mail = result.mail
    return Outcome(
        sender=storable(mail.sender),
        subject=storable(mail.subject),
        message_id=storable(mail.message_id),
        text_body=storable(mail.text_body[:MAX_BODY_CHARS]),
        html_body=storable(mail.html_body[:MAX_BODY_CHARS]),
        parts=[_part_record(part, result.blobs.get(part.path)) for part in mail.parts],
        unread=tuple(storable(text) for text in result.unread),
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
            text_source=text_source(part),
            invoice=_storable_values(part.invoice) if part.invoice else None,
        )
    # The record is the part's own PartRecord fields, taken as they are (texts made storable).
    record = PartRecord(**{name: getattr(part, name) for name in PART_RECORD_FIELDS})
    return PartOutcome(record=_storable_values(record), document=document)


def text_source(part: Part) -> TextSource | None:
    """Where the document's text came from: its text layer, OCR, or its e-invoice XML."""
    if part.pdf is not None and part.pdf.text_source:
        return TextSource(part.pdf.text_source)
    return TextSource.XML if part.kind is DocumentKind.EINVOICE_XML else None


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
