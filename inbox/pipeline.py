"""One mail through processing: claim → extract (in the pool) → record. Each stage is small."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from decimal import Decimal

from inbox.extract.model import Decision, InvoiceFields, Part
from inbox.sandbox import Extracted, ExtractionFailed, ExtractionPool
from storage.db import Store
from storage.messages import claim_next, mark_failed
from storage.models import Message
from storage.outcomes import NewDocument, Outcome, PartRecord, record_outcome

log = logging.getLogger("inbox.pipeline")
MAX_ATTEMPTS = 3  # a mail that keeps killing its worker is failed, not retried forever
MAX_BODY_CHARS = 500_000


def claim(store: Store, lease: timedelta) -> Message | None:
    with store.session() as session:
        return claim_next(session=session, lease=lease)


async def process(store: Store, pool: ExtractionPool, message: Message) -> str:
    """Process one claimed message; returns its final status."""
    if message.attempts > MAX_ATTEMPTS:
        result: Extracted | ExtractionFailed = ExtractionFailed(
            f"gave up after {MAX_ATTEMPTS} attempts"
        )
    else:
        result = await pool.extract(message.raw_sha256)
    return await asyncio.to_thread(record, store, message.id, result)


def record(store: Store, message_id: str, result: Extracted | ExtractionFailed) -> str:
    with store.session() as session:
        if isinstance(result, ExtractionFailed):
            mark_failed(session=session, message_id=message_id, reason=result.reason)
            log.warning("failed id=%s: %s", message_id, result.reason)
            return "failed"
        message = record_outcome(session=session, message_id=message_id, outcome=to_outcome(result))
        log.info("processed id=%s status=%s: %s", message_id, message.status, message.reason)
        return message.status


def to_outcome(result: Extracted) -> Outcome:
    mail = result.mail
    return Outcome(
        sender=mail.sender,
        subject=mail.subject,
        message_id=mail.message_id,
        text_body=mail.text_body[:MAX_BODY_CHARS],
        html_body=mail.html_body[:MAX_BODY_CHARS],
        parts=[_part_record(part, result.blobs.get(part.path)) for part in mail.parts],
    )


def _part_record(part: Part, sha256: str | None) -> PartRecord:
    document = None
    if part.decision is Decision.DOCUMENT and sha256 is not None:
        pdf = part.pdf
        document = NewDocument(
            sha256=sha256,
            content_type=part.detected_type,
            kind=str(part.kind),
            pages=pdf.pages if pdf else None,
            encrypted=pdf.encrypted if pdf else False,
            unreadable=pdf.unreadable if pdf else False,
            from_archive=part.from_archive,
            text=pdf.text if pdf else "",
            invoice=invoice_columns(part.invoice),
        )
    return PartRecord(
        path=part.path,
        declared_type=part.declared_type,
        detected_type=part.detected_type,
        filename=part.filename,
        size=part.size,
        decision=str(part.decision),
        reason=part.reason,
        document=document,
    )


def invoice_columns(fields: InvoiceFields | None) -> dict:
    if fields is None:
        return {}

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "invoice_source": fields.source,
        "invoice_type": fields.type,
        "invoice_number": fields.number,
        "issue_date": fields.issue_date,
        "due_date": fields.due_date,
        "seller": fields.seller,
        "seller_vat_id": fields.seller_vat_id,
        "buyer": fields.buyer,
        "buyer_reference": fields.buyer_reference,
        "net_total": text(fields.net_total),
        "tax_total": text(fields.tax_total),
        "total": text(fields.total),
        "amount_due": text(fields.amount_due),
        "currency": fields.currency,
        "profile": fields.profile,
    }
