"""The shared vocabulary: one definition that extraction produces and storage and web read."""

from __future__ import annotations

import dataclasses

import pytest

from inbox.extract import model
from vocabulary import (
    Decision,
    InvoiceFields,
    InvoiceSource,
    InvoiceType,
    PartRecord,
    flat_name,
)


def test_extraction_uses_the_shared_definitions_not_copies():
    assert model.InvoiceFields is InvoiceFields and model.Decision is Decision
    assert issubclass(model.Part, PartRecord)


def test_values_read_as_plain_strings_become_the_enums():
    fields = InvoiceFields(source="xml", type="credit_note")
    record = PartRecord("1", "", "", "a.pdf", 1, "duplicate", "same file")

    assert fields.source is InvoiceSource.XML and fields.type is InvoiceType.CREDIT_NOTE
    assert record.decision is Decision.DUPLICATE


def test_an_unknown_value_is_refused():
    with pytest.raises(ValueError):
        InvoiceFields(source="guess")


def test_flat_names_are_unique_and_keep_plain_names():
    names = [flat_name(f.name) for f in dataclasses.fields(InvoiceFields)]

    assert len(set(names)) == len(names)
    assert (flat_name("number"), flat_name("seller")) == ("invoice_number", "seller")
