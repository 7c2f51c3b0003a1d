"""One mail through processing: claim → extract (in the pool) → record. Each stage is small."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

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


@dataclass(frozen=True, slots=True)
class Claimed:
    message: Message
    hints: HintBook  # what the account's corrections taught, for its extraction


@dataclass(frozen=True, slots=True)
class Settled:
    statuses: dict[str, str | None]  # message id -> its final status (None: its claim was lost)
    claimed: list[Claimed]


def settle(
    store: Store,
    worker: str,
    results: dict[str, Extracted | ExtractionFailed],
    want: int,
    lease: timedelta,
    account_share: int | None = None,
) -> Settled:
    """Record the `results` (message id -> what extraction gave) of mails `worker` holds, then
    claim up to `want` more with their hint books: one transaction and one commit for a round
    of the worker, however many mails it settles. Each mail's outcome is still all or nothing
    (a crash before the commit leaves the whole round to be done again; the documents are keyed
    on their mail and part, so nothing is stored twice). What cannot go in the round (failed
    extractions, results that cannot be made outcomes, a round the database refused) is
    recorded mail by mail as before."""
    outcomes: dict[str, Outcome] = {}
    alone: dict[str, Extracted | ExtractionFailed] = {}
    for message_id, result in results.items():
        try:
            if isinstance(result, Extracted):
                outcomes[message_id] = to_outcome(result)
                continue
        except Exception:  # recorded alone, where it fails visibly
            log.exception("could not prepare the outcome of id=%s", message_id, extra=about(message_id))
        alone[message_id] = result
    statuses: dict[str, str | None] = {}
    claimed: list[Claimed] = []
    try:
        with store.session() as session:
            recorded = {
                message_id: _record_in_round(session, message_id, worker, outcome)
                for message_id, outcome in outcomes.items()
            }
            claimed = _claim_in_round(session, worker, want, lease, account_share)
        for message_id, message in recorded.items():  # logged once committed: a kill before
            statuses[message_id] = message.status if message else None  # it logs nothing
            if message is not None:
                _log_processed(message)
    except Exception as err:  # nothing of the round was written: each mail on its own
        log.warning("could not record %d result(s) together (%s); recording each alone", len(outcomes), err)
        statuses, claimed = {}, []
        alone.update({message_id: results[message_id] for message_id in outcomes})
    for message_id, result in alone.items():
        try:
            statuses[message_id] = record(store, message_id, worker, result)
        except Exception:  # the lease ends and the mail is retried; the claims above stand
            log.exception("could not record id=%s; it will be retried", message_id, extra=about(message_id))
            statuses[message_id] = None
    return Settled(statuses, claimed)


def _record_in_round(session: Session, message_id: str, worker: str, outcome: Outcome) -> Message | None:
    try:
        message = record_outcome(session=session, message_id=message_id, worker=worker, outcome=outcome)
    except ClaimLost:  # raised before this mail wrote anything: the round goes on
        log.warning(
            "dropped the result of id=%s: its claim passed to another worker while this one worked",
            message_id,
            extra=about(message_id),
        )
        return None
    return message


def _claim_in_round(
    session: Session, worker: str, want: int, lease: timedelta, account_share: int | None
) -> list[Claimed]:
    """Up to `want` mails, claimed one after the other in this transaction: each claim sees the
    ones before it, so an account's share counts them too."""
    messages: list[Message] = []
    while len(messages) < want:
        message = claim_next(session=session, worker=worker, lease=lease, account_share=account_share)
        if message is None:
            break
        messages.append(message)
    books: dict[str, HintBook] = {}
    for message in messages:
        if message.account_id not in books:
            books[message.account_id] = _hint_book_in(session, message.account_id)
    return [Claimed(message, books[message.account_id]) for message in messages]


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
    book = await asyncio.to_thread(hint_book_of, store, message.account_id)
    result = await extract(pool, message, book)
    return await asyncio.to_thread(record, store, message.id, worker, result)


async def extract(pool: ExtractionPool, message: Message, hints: HintBook) -> Extracted | ExtractionFailed:
    """The mail read in the pool, unless it has crashed its worker too often already."""
    if message.attempts >= MAX_CRASHES:
        return ExtractionFailed(f"gave up after {message.attempts} crashes of the worker processing it")
    return await pool.extract(message.raw_sha256, hints)


def hint_book_of(store: Store, account_id: str) -> HintBook:
    """What the account's corrections taught, per supplier, for the extraction of its mail."""
    with store.session() as session:
        return _hint_book_in(session, account_id)


def _hint_book_in(session: Session, account_id: str) -> HintBook:
    book: dict[str, list[Hint]] = {}
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


def _log_processed(message: Message) -> None:
    """Only once the outcome is committed: the kill tests read these lines as what was done."""
    log.info(
        "processed id=%s status=%s: %s", message.id, message.status, message.reason, extra=about(message.id)
    )


def _record(store: Store, message_id: str, worker: str, result: Extracted | ExtractionFailed) -> str:
    if isinstance(result, Extracted):
        try:
            with store.session() as session:
                message = record_outcome(
                    session=session, message_id=message_id, worker=worker, outcome=to_outcome(result)
                )
            _log_processed(message)
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
