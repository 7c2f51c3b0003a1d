"""Extraction: a pure function from raw mail bytes to a MailExtraction. No I/O, no database."""

from __future__ import annotations

from inbox.extract.mime import Leaf, parse_mail
from inbox.extract.model import Decision, DocumentKind, MailExtraction, Part
from inbox.extract.pdf import read_pdf
from inbox.extract.sniff import PDF, detect_type

__all__ = ["extract_mail"]


def extract_mail(raw: bytes) -> MailExtraction:
    parsed = parse_mail(raw)
    text_body: list[str] = []
    html_body: list[str] = []
    parts = []
    for number, leaf in enumerate(parsed.leaves, start=1):
        if _is_body(leaf):
            target = html_body if leaf.declared_type == "text/html" else text_body
            target.append(leaf.payload.decode("utf-8", "replace"))
            parts.append(_part(leaf, leaf.declared_type, Decision.BODY, "message body"))
            continue
        parts.append(_classify(leaf, number))
    return MailExtraction(
        sender=parsed.sender,
        subject=parsed.subject,
        message_id=parsed.message_id,
        date=parsed.date,
        text_body="\n".join(text_body),
        html_body="\n".join(html_body),
        parts=tuple(parts),
        defects=parsed.defects,
    )


def _is_body(leaf: Leaf) -> bool:
    return (
        leaf.declared_type in ("text/plain", "text/html")
        and leaf.disposition != "attachment"
        and not leaf.filename
    )


def _classify(leaf: Leaf, number: int) -> Part:
    detected = detect_type(leaf.payload)
    if detected == PDF:
        facts = read_pdf(leaf.payload)
        name = leaf.filename or f"document-{number}.pdf"
        reason = facts.reason or "PDF"
        return Part(
            path=leaf.path,
            declared_type=leaf.declared_type,
            detected_type=detected,
            filename=name,
            size=len(leaf.payload),
            decision=Decision.DOCUMENT,
            reason=reason,
            kind=DocumentKind.PDF,
            payload=leaf.payload,
            pdf=facts,
        )
    return _part(leaf, detected, Decision.UNSUPPORTED, f"unsupported type {leaf.declared_type}")


def _part(leaf: Leaf, detected: str, decision: Decision, reason: str) -> Part:
    return Part(
        path=leaf.path,
        declared_type=leaf.declared_type,
        detected_type=detected,
        filename=leaf.filename,
        size=len(leaf.payload),
        decision=decision,
        reason=reason,
    )
