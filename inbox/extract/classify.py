"""What content is and what becomes of it: one decision per MIME leaf or archive entry."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.extract.archive import MAX_ARCHIVE_DEPTH, Budget, Unpacked, read_zip
from inbox.extract.einvoice import EInvoiceError, invoice_from_xml, is_einvoice
from inbox.extract.mime import safe_filename
from inbox.extract.model import Decision, DocumentKind, Part
from inbox.extract.pdf import read_pdf
from inbox.extract.sniff import (
    DOCUMENT_IMAGES,
    PDF,
    TNEF,
    XML,
    ZIP,
    detect_type,
    extension_for,
)
from inbox.extract.tnef import read_tnef


@dataclass(frozen=True, slots=True)
class Origin:
    """Where content came from: its place in the tree and what the sender said it was."""

    path: str
    declared_type: str
    filename: str  # already safe; "" when the sender gave none
    from_archive: str | None = None

    def named(self, detected: str) -> str:
        if self.filename:
            return self.filename
        extension = extension_for(detected, self.declared_type)
        return f"attachment-{self.path.replace('/', '-')}.{extension}"


def classify(origin: Origin, payload: bytes, budget: Budget, depth: int = 0) -> list[Part]:
    detected = detect_type(payload)
    if detected == PDF:
        reading = read_pdf(payload)
        facts = reading.facts
        reason = facts.reason or f"PDF, {facts.pages} page{'' if facts.pages == 1 else 's'}"
        if reading.invoice is not None and reading.invoice.source == "xml":
            reason += f", e-invoice {reading.invoice.profile or 'XML'} embedded"
        if reading.note:
            reason += f"; {reading.note}"
        return [
            _document(origin, detected, payload, DocumentKind.PDF, reason, pdf=facts, invoice=reading.invoice)
        ]
    if detected == XML and is_einvoice(payload):
        return [_einvoice_xml(origin, detected, payload)]
    if detected in DOCUMENT_IMAGES:
        return [_document(origin, detected, payload, DocumentKind.IMAGE, "image attached as a file")]
    if detected in (ZIP, TNEF):
        return _unpack(origin, payload, detected, budget, depth)
    return [_not_a_document(origin, detected, len(payload))]


def _einvoice_xml(origin: Origin, detected: str, payload: bytes) -> Part:
    try:
        invoice, reason = invoice_from_xml(payload), "e-invoice XML"
    except EInvoiceError as err:  # still the invoice the sender meant: keep it as a document
        invoice, reason = None, f"e-invoice XML, fields unreadable: {err}"
    return _document(origin, detected, payload, DocumentKind.EINVOICE_XML, reason, invoice=invoice)


def _not_a_document(origin: Origin, detected: str, size: int) -> Part:
    if origin.declared_type == PDF or origin.filename.lower().endswith(".pdf"):
        reason = f"declared or named as PDF, but the content is not a PDF (detected {detected})"
        return record(origin, detected, size, Decision.CORRUPT, reason)
    if detected == XML:
        reason = "XML, but not well-formed or not an e-invoice syntax (UBL, CII, ZUGFeRD 1)"
        return record(origin, detected, size, Decision.UNSUPPORTED, reason)
    reason = f"unsupported type {detected} (declared {origin.declared_type or 'nothing'}), {size} bytes"
    return record(origin, detected, size, Decision.UNSUPPORTED, reason)


def _unpack(origin: Origin, payload: bytes, detected: str, budget: Budget, depth: int) -> list[Part]:
    size = len(payload)
    if depth >= MAX_ARCHIVE_DEPTH:
        reason = "archive nested deeper than one level is not opened"
        return [record(origin, detected, size, Decision.UNSUPPORTED, reason)]
    unpacked: Unpacked = read_zip(payload, budget) if detected == ZIP else read_tnef(payload, budget)
    if unpacked.refused is not None:
        return [record(origin, unpacked.detected_type, size, unpacked.refused, unpacked.reason)]
    label = "ZIP archive" if detected == ZIP else "TNEF (winmail.dat)"
    if not unpacked.entries:
        reason = f"{label} without any files in it"
        return [record(origin, detected, size, Decision.UNSUPPORTED, reason)]
    reason = f"{label} with {len(unpacked.entries)} entries"
    parts = [record(origin, detected, size, Decision.CONTAINER, reason)]
    archive_name = origin.named(detected)
    for index, entry in enumerate(unpacked.entries, start=1):
        inner = Origin(f"{origin.path}/{index}", "", safe_filename(entry.name), archive_name)
        if entry.payload is None:
            decision = entry.decision or Decision.CORRUPT
            parts.append(record(inner, "", entry.size, decision, entry.reason))
        else:
            parts.extend(classify(inner, entry.payload, budget, depth + 1))
    return parts


def _document(
    origin: Origin, detected: str, payload: bytes, kind: DocumentKind, reason: str, **facts
) -> Part:
    return Part(
        path=origin.path,
        declared_type=origin.declared_type,
        detected_type=detected,
        filename=origin.named(detected),
        size=len(payload),
        decision=Decision.DOCUMENT,
        reason=reason,
        kind=kind,
        payload=payload,
        from_archive=origin.from_archive,
        **facts,
    )


def record(origin: Origin, detected: str, size: int, decision: Decision, reason: str) -> Part:
    """A part that is not a document: what it was and why, without its bytes."""
    return Part(
        path=origin.path,
        declared_type=origin.declared_type,
        detected_type=detected,
        filename=origin.named(detected),
        size=size,
        decision=decision,
        reason=reason,
        from_archive=origin.from_archive,
    )
