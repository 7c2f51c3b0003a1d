"""Invoice fields to Document columns and back, over a real SQLite file: nothing lost, nothing
mapped by hand (a field added to the vocabulary without a column fails here)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from storage.accounts import create_account
from storage.db import Store, open_store
from storage.invoices import INVOICE_COLUMNS, from_columns, to_columns
from storage.models import Document, Message, PartLog
from storage.schema import migrate
from vocabulary import (
    INVOICE_FIELDS,
    PART_RECORD_FIELDS,
    InvoiceFields,
    InvoiceLine,
    InvoiceSource,
    InvoiceType,
)

EVERY_FIELD = InvoiceFields(
    source=InvoiceSource.XML,
    type=InvoiceType.CREDIT_NOTE,
    number="CN-7",
    issue_date=date(2026, 2, 28),
    due_date=date(2026, 3, 31),
    seller="Müller GmbH",
    seller_vat_id="DE123456789",
    buyer="Client SA",
    buyer_reference="04011000-12345-34",
    net_total=Decimal("100.005"),
    tax_total=Decimal("19.00"),
    total=Decimal("119.005"),
    amount_due=Decimal("0.00"),
    currency="EUR",
    profile="EN 16931",
    confidence={"number": 1.0, "total": 0.75},
    lines=(InvoiceLine("Beratung", Decimal("2"), "HUR", Decimal("50.0025"), Decimal("100.005")),),
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "data")
    migrate(store.engine)
    return store


def stored(store: Store, fields: InvoiceFields | None) -> InvoiceFields | None:
    with store.session() as session:
        account = create_account(session=session, name="Acme", email="a@acme.example", password="pw")
        message = Message(account_id=account.id, raw_sha256="0" * 64, raw_size=1)
        session.add(message)
        session.flush()
        document = Document(
            account_id=account.id,
            message_id=message.id,
            part_path="2",
            sha256="1" * 64,
            filename="cn.xml",
            content_type="application/xml",
            kind="einvoice_xml",
            size=1,
            **to_columns(fields),
        )
        session.add(document)
        document_id = document.id
    with store.session() as session:  # read back from the file, not from the session's cache
        row = session.get(Document, document_id)
        assert row is not None
        return from_columns(row)


def test_every_invoice_field_has_a_document_column():
    assert set(INVOICE_COLUMNS) <= set(Document.model_fields)
    assert len(INVOICE_COLUMNS) == len(INVOICE_FIELDS)


def test_every_part_record_field_has_a_part_log_column():
    assert set(PART_RECORD_FIELDS) <= set(PartLog.model_fields)


def test_every_field_survives_the_database_exactly(store):
    assert all(getattr(EVERY_FIELD, name) not in (None, (), {}) for name in INVOICE_FIELDS)

    back = stored(store, EVERY_FIELD)

    assert back == EVERY_FIELD
    assert isinstance(back.source, InvoiceSource) and isinstance(back.type, InvoiceType)
    assert str(back.net_total) == "100.005"  # exact, not a float


def test_no_invoice_stays_none(store):
    assert stored(store, None) is None


def test_an_invoice_with_only_a_source_comes_back_as_it_went(store):
    bare = InvoiceFields(source="text")

    assert stored(store, bare) == dataclasses.replace(bare)
