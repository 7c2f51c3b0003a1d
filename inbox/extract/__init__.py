"""Extraction: a pure function from raw mail bytes to a MailExtraction. No I/O, no database."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from inbox.extract.archive import Budget
from inbox.extract.classify import Origin, classify, record
from inbox.extract.hints import Hint, sender_address
from inbox.extract.inline import inline_reason, referenced_content_ids
from inbox.extract.mime import MAX_FORWARD_DEPTH, Node, Structure, decode_body, parse_mail
from inbox.extract.model import Decision, MailExtraction, Part
from inbox.extract.sniff import detect_type

__all__ = ["OpenedMail", "decide_node", "extract_mail", "open_mail", "placeholder"]


@dataclass(frozen=True, slots=True)
class OpenedMail:
    """A mail parsed into nodes, its bodies read; each node's decision is still to be made."""

    header: MailExtraction  # everything but the parts
    nodes: tuple[Node, ...]
    cids: frozenset[str]
    budget: Budget  # one allowance of archive entries, bytes and OCR for the mail; its hints


def extract_mail(raw: bytes, hint_book: Mapping[str, tuple[Hint, ...]] | None = None) -> MailExtraction:
    """Every part of the mail decided. `hint_book` holds, per sender address (lower case), what
    corrections of its earlier invoices taught about where it prints its fields."""
    opened = open_mail(raw, hint_book)
    parts = [part for node in opened.nodes for part in decide_node(opened, node)]
    return dataclasses.replace(opened.header, parts=tuple(parts))


def open_mail(raw: bytes, hint_book: Mapping[str, tuple[Hint, ...]] | None = None) -> OpenedMail:
    """The cheap, whole-mail step; the costly reading is done node by node in `decide_node`, so
    a caller can bound each node on its own. The sender's hints go into the mail's budget."""
    parsed = parse_mail(raw)
    hints = (hint_book or {}).get(sender_address(parsed.sender), ())
    bodies = {n.path: decode_body(n.payload, n.charset) for n in parsed.nodes if _is_body(n)}
    html = [bodies[n.path] for n in parsed.nodes if n.path in bodies and _is_html(n)]
    text = [bodies[n.path] for n in parsed.nodes if n.path in bodies and not _is_html(n)]
    header = MailExtraction(
        sender=parsed.sender,
        subject=parsed.subject,
        message_id=parsed.message_id,
        date=parsed.date,
        text_body="\n".join(text),
        html_body="\n".join(html),
        parts=(),
        defects=parsed.defects,
    )
    budget = Budget(hints=hints)  # one allowance of archive entries, bytes, OCR for the mail
    return OpenedMail(header, parsed.nodes, referenced_content_ids("\n".join(html)), budget)


def decide_node(opened: OpenedMail, node: Node) -> list[Part]:
    """The decisions for one node: one part, or an archive and its entries."""
    return _decide(node, opened.cids, opened.budget)


def placeholder(node: Node) -> Part:
    """What is known of a node before reading it, for a decision made without its content
    (it took too long, or its reading was cut short)."""
    origin = Origin(node.path, node.declared_type, node.filename)
    return record(origin, node.declared_type, len(node.payload), Decision.CORRUPT, "not read")


def _decide(node: Node, cids: frozenset[str], budget: Budget) -> list[Part]:
    origin = Origin(node.path, node.declared_type, node.filename)
    size = len(node.payload)
    if node.structure is Structure.MULTIPART:
        return [_unnamed(node, Decision.CONTAINER, "multipart")]
    if node.structure is Structure.FORWARDED:
        reason = f"forwarded message: {node.note}" if node.note else "forwarded message"
        return [_unnamed(node, Decision.CONTAINER, reason)]
    if node.structure is Structure.TOO_DEEP:
        reason = f"forwarded message nested deeper than {MAX_FORWARD_DEPTH} levels is not opened"
        return [record(origin, node.declared_type, size, Decision.UNSUPPORTED, reason)]
    if _is_body(node):
        return [_unnamed(node, Decision.BODY, "HTML body" if _is_html(node) else "text body")]
    detected = detect_type(node.payload)
    reason = inline_reason(node, detected, cids)
    if reason:
        return [record(origin, detected, size, Decision.IGNORED_INLINE, reason)]
    return classify(origin, node.payload, budget)


def _is_body(node: Node) -> bool:
    return (
        node.structure is Structure.LEAF
        and node.declared_type in ("text/plain", "text/html")
        and node.disposition != "attachment"
        and not node.filename
    )


def _is_html(node: Node) -> bool:
    return node.declared_type == "text/html"


def _unnamed(node: Node, decision: Decision, reason: str) -> Part:
    """Bodies and containers keep the name the mail gave them, if any; none is invented."""
    return Part(
        path=node.path,
        declared_type=node.declared_type,
        detected_type=node.declared_type,
        filename=node.filename,
        size=len(node.payload),
        decision=decision,
        reason=reason,
    )
