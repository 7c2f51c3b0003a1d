import io
import json

import pytest

from inbox.cli import main
from inbox.evaluate import run
from tests.corpus_files import EINVOICES, EXPECTED
from tests.invoicegen import generate


def write_generated(directory, seeds):
    entries = []
    for seed in seeds:
        invoice = generate(seed)
        name = f"plain/{seed}.pdf"
        (directory / "plain").mkdir(exist_ok=True)
        (directory / name).write_bytes(invoice.pdf)
        entries.append(
            {
                "file": name,
                "expect": "ok",
                "invoice_number": invoice.number,
                "issue_date": invoice.issue_date.isoformat(),
                "seller": invoice.seller,
                "total": str(invoice.total),
                "currency": invoice.currency,
            }
        )
    return entries


def test_generated_folder_is_measured_per_field(tmp_path):
    entries = write_generated(tmp_path, range(10))
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(entries))
    out = io.StringIO()

    assert run(tmp_path, expected, out) == 0

    report = out.getvalue()
    assert "files: 10 of 10 listed" in report
    assert "total             10/10    100.0%" in report
    assert "misses: 0" in report


def test_misses_are_listed_and_fail_the_run(tmp_path):
    entries = write_generated(tmp_path, [1, 2])
    entries[0]["total"] = "0.01"
    entries[1]["expect"] = "pdf_error"
    entries.append({"file": "gone.xml", "expect": "ok"})
    (tmp_path / "broken.xml").write_bytes(b"<not-closed")
    entries.append({"file": "broken.xml", "expect": "pdf_error"})
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(entries))
    out = io.StringIO()

    assert run(tmp_path, expected, out) == 1

    report = out.getvalue()
    assert "plain/1.pdf: total expected Decimal('0.01')" in report
    assert "plain/2.pdf: expected pdf_error, got no_einvoice" in report
    assert "gone.xml: listed in expected.json but not found" in report
    assert "broken.xml: expected pdf_error, got unsupported_format" in report


def test_main_parses_the_command_line(tmp_path, capsys):
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(write_generated(tmp_path, [3])))

    assert main(["eval-extraction", str(tmp_path), "--expected", str(expected)]) == 0
    assert "invoice_number     1/1" in capsys.readouterr().out


@pytest.mark.corpus
@pytest.mark.skipif(not EXPECTED.is_file(), reason="shared corpus absent")
def test_corpus_is_read_completely():
    out = io.StringIO()

    assert run(EINVOICES, EXPECTED, out) == 0, out.getvalue()
    assert "misses: 0" in out.getvalue()


def test_a_later_expected_file_overrides_an_earlier_ones_entries(tmp_path):
    entries = write_generated(tmp_path, [4])
    wrong = dict(entries[0], total="0.01")
    (tmp_path / "wrong.json").write_text(json.dumps([wrong]))
    printed = [{"file": "plain/4.pdf", "total": entries[0]["total"]}]
    (tmp_path / "printed.json").write_text(json.dumps(printed))
    out = io.StringIO()

    assert run(tmp_path, [tmp_path / "wrong.json", tmp_path / "printed.json"], out) == 0, out.getvalue()


def test_text_reading_ignores_xml_files_and_reads_pdfs_by_their_text_layer(tmp_path):
    entries = write_generated(tmp_path, [5])
    (tmp_path / "invoice.xml").write_bytes(b"<Invoice/>")
    entries.append({"file": "invoice.xml", "expect": "unsupported_format"})
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(entries))
    out = io.StringIO()

    assert run(tmp_path, expected, out, read="text") == 0, out.getvalue()
    assert "reading: text" in out.getvalue()
    assert "invoice_number     1/1" in out.getvalue()
