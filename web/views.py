"""Shapes the web shows: storage rows turned into plain dicts for templates and JSON."""

from __future__ import annotations

import json

from storage.models import Document, Message, PartLog


def document_json(doc: Document) -> dict:
    return {
        "id": doc.id,
        "filename": doc.filename,
        "sha256": doc.sha256,
        "size": doc.size,
        "kind": doc.kind,
        "content_type": doc.content_type,
        "pages": doc.pages,
        "encrypted": doc.encrypted,
        "unreadable": doc.unreadable,
        "from_archive": doc.from_archive,
        "sender": doc.sender,
        "subject": doc.subject,
        "received_at": doc.received_at.isoformat(),
        "message": doc.message_id,
        "status": document_status(doc),
        "invoice": invoice_json(doc),
    }


def document_status(doc: Document) -> str:
    if doc.unreadable:
        return "encrypted" if doc.encrypted else "unreadable"
    return "ok"


def invoice_json(doc: Document) -> dict | None:
    if doc.invoice_source is None:
        return None
    return {
        "number": doc.invoice_number,
        "issue_date": doc.issue_date.isoformat() if doc.issue_date else None,
        "due_date": doc.due_date.isoformat() if doc.due_date else None,
        "seller": doc.seller,
        "seller_vat_id": doc.seller_vat_id,
        "buyer": doc.buyer,
        "total": doc.total,
        "net_total": doc.net_total,
        "tax_total": doc.tax_total,
        "amount_due": doc.amount_due,
        "currency": doc.currency,
        "type": doc.invoice_type,
        "profile": doc.profile,
        "source": doc.invoice_source,
    }


def message_json(message: Message, document_ids: list[str]) -> dict:
    return {
        "id": message.id,
        "status": message.status,
        "reason": message.reason,
        "sender": message.sender,
        "envelope_from": message.envelope_from,
        "subject": message.subject,
        "message_id": message.message_id,
        "received_at": message.received_at.isoformat(),
        "size": message.raw_size,
        "document_ids": document_ids,
        "auth": json.loads(message.auth) if message.auth else None,  # {"spf", "dkim", "dmarc"}
    }


def part_json(part: PartLog) -> dict:
    return {
        "path": part.path,
        "declared_type": part.declared_type,
        "detected_type": part.detected_type,
        "filename": part.filename,
        "size": part.size,
        "decision": part.decision,
        "reason": part.reason,
        "document_id": part.document_id,
    }


def invoice_lines(doc: Document) -> list[dict]:
    """The e-invoice's line items: a JSON list in `Document.invoice_lines` (when recorded)."""
    if not doc.invoice_lines:
        return []
    try:
        lines = json.loads(doc.invoice_lines)
    except ValueError:
        return []
    return [line for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []
