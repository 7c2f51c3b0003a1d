"""What people change on a document: invoice fields, tags, a note. Every change is recorded
(who, when, from what to what); corrected fields are listed on the document so reprocessing
keeps them (storage/outcomes.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, col, delete, select

from storage.errors import NotFound
from storage.invoices import column_value
from storage.models import Document, DocumentChange, DocumentTag, utcnow
from storage.read_models import corrected_names
from storage.teaching import ask_to_learn
from storage.to_check import update_to_check
from vocabulary import EDITABLE_INVOICE_FIELDS, InvoiceSource, InvoiceType, flat_name

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_NOTE_LENGTH = 5000
MAX_TEXT_LENGTH = 200
CURRENCY = re.compile(r"[A-Z]{3}")


class BadValue(ValueError):
    """A value a person typed that cannot be stored; the message names the field."""


@dataclass(frozen=True, slots=True)
class Edit:
    """What to change; None leaves a part as it is."""

    invoice: dict[str, Any] | None = None  # field name -> value (text or typed); "" or None clears
    tags: list[str] | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeRead:
    at: datetime
    user_email: str
    field: str
    old: str
    new: str


def parse_invoice_value(name: str, value: Any) -> Any:
    """A typed value for an editable field, or BadValue naming it."""
    if name not in EDITABLE_INVOICE_FIELDS:
        raise BadValue(f"{name}: not a field that can be corrected")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if name in ("issue_date", "due_date"):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise BadValue(f"{name}: expected a date as YYYY-MM-DD, got {text!r}") from None
    if name == "total":
        try:
            amount = Decimal(text.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise BadValue(f"total: expected a number such as 1234.50, got {text!r}") from None
        if not amount.is_finite() or abs(amount) >= Decimal(10) ** 12:
            raise BadValue(f"total: {text!r} is out of range")
        return amount
    if name == "currency":
        if not CURRENCY.fullmatch(text.upper()):
            raise BadValue(f"currency: expected a three-letter code such as EUR, got {text!r}")
        return text.upper()
    if name == "type":
        try:
            return InvoiceType(text)
        except ValueError:
            raise BadValue(f"type: expected invoice or credit_note, got {text!r}") from None
    if len(text) > MAX_TEXT_LENGTH:
        raise BadValue(f"{name}: at most {MAX_TEXT_LENGTH} characters")
    return text


def clean_tags(tags: list[Any]) -> list[str]:
    cleaned: dict[str, None] = {}
    for tag in tags:
        if not isinstance(tag, str):
            raise BadValue("tags: expected a list of words")
        word = " ".join(tag.split())
        if len(word) > MAX_TAG_LENGTH:
            raise BadValue(f"tags: {word[:20]!r}… is longer than {MAX_TAG_LENGTH} characters")
        if word:
            cleaned[word] = None
    if len(cleaned) > MAX_TAGS:
        raise BadValue(f"tags: at most {MAX_TAGS} per document")
    return list(cleaned)


def split_tags(text: str) -> list[str]:
    """Tags as typed in one input: separated by commas."""
    return [tag for tag in (part.strip() for part in text.split(",")) if tag]


def apply_edit(*, session: Session, account_id: str, document_id: str, user_email: str, edit: Edit) -> None:
    """Applies an edit to a live document of the account and records each changed value."""
    document = _live(session, account_id, document_id)
    changes: list[tuple[str, str, str]] = []
    if edit.invoice:
        corrected = _correct(document, {k: parse_invoice_value(k, v) for k, v in edit.invoice.items()})
        for name, _, value in corrected:  # the worker learns where the supplier prints it
            ask_to_learn(session, document, name, value)
        changes += corrected
    if edit.tags is not None:
        old, new = tags_of(session, document.id), clean_tags(edit.tags)
        if old != new:
            _set_tags(session, document, new)
            changes.append(("tags", ", ".join(old), ", ".join(new)))
    if edit.note is not None and edit.note != document.note:
        if len(edit.note) > MAX_NOTE_LENGTH:
            raise BadValue(f"note: at most {MAX_NOTE_LENGTH} characters")
        changes.append(("note", document.note, edit.note))
        document.note = edit.note
    session.add(document)
    record_changes(session, document.id, user_email, changes)


def add_tag(*, session: Session, account_id: str, document_ids: list[str], user_email: str, tag: str) -> int:
    """Puts one tag on several documents (bulk tagging); returns how many gained it."""
    (word,) = clean_tags([tag]) or [""]
    if not word:
        raise BadValue("tags: the tag is empty")
    gained = 0
    for document_id in dict.fromkeys(document_ids):
        document = _live(session, account_id, document_id)
        old = tags_of(session, document.id)
        if word not in old:
            _set_tags(session, document, clean_tags([*old, word]))
            record_changes(
                session, document.id, user_email, [("tags", ", ".join(old), ", ".join([*old, word]))]
            )
            gained += 1
    return gained


def tags_of(session: Session, document_id: str) -> list[str]:
    return list(
        session.exec(
            select(DocumentTag.tag).where(DocumentTag.document_id == document_id).order_by(DocumentTag.tag)
        )
    )


def account_tags(session: Session, account_id: str) -> list[str]:
    """Every tag the account uses, for the filter's choices."""
    return list(
        session.exec(
            select(DocumentTag.tag)
            .where(DocumentTag.account_id == account_id)
            .distinct()
            .order_by(DocumentTag.tag)
        )
    )


def history(session: Session, document_id: str) -> list[ChangeRead]:
    rows = session.exec(
        select(DocumentChange)
        .where(DocumentChange.document_id == document_id)
        .order_by(col(DocumentChange.at).desc(), col(DocumentChange.id).desc())
    )
    return [ChangeRead(at=r.at, user_email=r.user_email, field=r.field, old=r.old, new=r.new) for r in rows]


def record_changes(
    session: Session, document_id: str, user_email: str, changes: list[tuple[str, str, str]]
) -> None:
    at = utcnow()
    for field, old, new in changes:
        session.add(
            DocumentChange(
                document_id=document_id, user_email=user_email, at=at, field=field, old=old, new=new
            )
        )


def corrected_fields(document: Document) -> list[str]:
    return corrected_names(document.corrected_fields)


def _correct(document: Document, values: dict[str, Any]) -> list[tuple[str, str, str]]:
    changes = []
    corrected = corrected_fields(document)
    for name, value in values.items():
        column = flat_name(name)
        stored = column_value(name, value)
        if getattr(document, column) == stored:  # the form sends every field: only changes count
            continue
        changes.append((name, _shown(getattr(document, column)), _shown(stored)))
        setattr(document, column, stored)
        if name not in corrected:
            corrected.append(name)
    if changes and document.invoice_source is None:
        document.invoice_source = InvoiceSource.USER.value
    document.corrected_fields = json.dumps(corrected)
    update_to_check(document)
    return changes


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _set_tags(session: Session, document: Document, tags: list[str]) -> None:
    session.exec(delete(DocumentTag).where(col(DocumentTag.document_id) == document.id))
    for tag in tags:
        session.add(DocumentTag(document_id=document.id, tag=tag, account_id=document.account_id))


def _live(session: Session, account_id: str, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.account_id != account_id or document.deleted_at is not None:
        raise NotFound("document")
    return document
