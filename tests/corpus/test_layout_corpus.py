"""The layout reader on the corpus's real hybrid invoices, ignoring their XML: the XML's values
are the truth, except where the printed page shows another invoice (printed_values.json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox.evaluate import extract_file, load_expected
from tests.corpus_files import EINVOICES, EXPECTED

PRINTED = Path(__file__).parent / "printed_values.json"
FIELDS = {"invoice_number": "number", "issue_date": "issue_date", "total": "total"}

pytestmark = [pytest.mark.corpus, pytest.mark.skipif(not EXPECTED.is_file(), reason="shared corpus absent")]


def test_text_layers_of_real_invoices_are_read_without_wrong_values():
    entries = [
        e
        for e in load_expected([EXPECTED, PRINTED]).values()
        if e["file"].endswith(".pdf") and e.get("invoice_number")
    ]
    hits = dict.fromkeys(FIELDS, 0)
    wrong = []
    for entry in entries:
        fields = extract_file((EINVOICES / entry["file"]).read_bytes(), entry["file"], "text").fields
        for key, name in FIELDS.items():
            got = getattr(fields, name) if fields else None
            expected = str(entry[key])
            if str(got) == expected or (name == "total" and got is not None and got == type(got)(expected)):
                hits[key] += 1
            elif got is not None:
                wrong.append(f"{entry['file']}: {key} {got!r}, expected {expected!r}")

    assert len(entries) >= 20
    assert wrong == []
    assert {key: count / len(entries) for key, count in hits.items()} == dict.fromkeys(FIELDS, 1.0)
