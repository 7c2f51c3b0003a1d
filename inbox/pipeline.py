"""One mail through processing: claim → extract (in the pool) → record. Each stage is small."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from inbox.extract.model import Decision, InvoiceFields, InvoiceLine, Part
from inbox.sandbox import Extracted, ExtractionFailed, ExtractionPool
from storage.db import Store
from storage.messages import claim_next, mark_failed, release_orphaned_claims, release_own_claims
from storage.models import Message
from storage.outcomes import NewDocument, Outcome, PartRecord, record_outcome

log = logging.getLogger("inbox.pipeline")
MAX_ATTEMPTS = 3  # a mail that keeps killing its worker is failed, not retried forever
MAX_BODY_CHARS = 500_000


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
    return "failed"


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
            text=storable(pdf.text) if pdf else "",
            invoice=invoice_columns(part.invoice),
        )
    return PartRecord(
        path=part.path,
        declared_type=part.declared_type,
        detected_type=part.detected_type,
        filename=storable(part.filename),
        size=part.size,
        decision=str(part.decision),
        reason=storable(part.reason),
        document=document,
    )


def storable(text: str) -> str:
    """Text the database accepts: lone surrogates (from broken PDFs and headers) become U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def invoice_columns(fields: InvoiceFields | None) -> dict:
    if fields is None:
        return {}
    texts: dict[str, Any] = {
        name: storable(getattr(fields, name)) for name in _TEXT_FIELDS if getattr(fields, name)
    }
    fields = dataclasses.replace(fields, **texts)

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
        "net_total": _text(fields.net_total),
        "tax_total": _text(fields.tax_total),
        "total": _text(fields.total),
        "amount_due": _text(fields.amount_due),
        "currency": fields.currency,
        "profile": fields.profile,
        "invoice_lines": json.dumps([_line(line) for line in fields.lines]) if fields.lines else None,
    }


_TEXT_FIELDS = ("number", "seller", "seller_vat_id", "buyer", "buyer_reference", "currency", "profile")


def _line(line: InvoiceLine) -> dict:
    return {
        "description": line.description and storable(line.description),
        "quantity": _text(line.quantity),
        "unit": line.unit,
        "unit_price": _text(line.unit_price),
        "net_amount": _text(line.net_amount),
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
