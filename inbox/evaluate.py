"""`inbox eval-extraction DIR --expected FILE.json`: how well extraction reads a folder of invoices.

Every file below DIR is compared with the expected file, whose format is the corpus's
einvoices/expected.json: a list of {"file", "expect", "invoice_number", "issue_date", "seller",
"total", "currency"} with file paths relative to DIR. `--expected` may be given again: a later
file's entries override an earlier one's for the same file (for example the values printed on
a hybrid invoice's page where they differ from its XML).

What is read depends on `--read`:
- `production` (the default): exactly what a mailed attachment goes through (`classify`);
- `text`: PDFs by their text layer only, as if they carried no XML, which measures the layout
  reader on real layouts with the XML's values as the truth;
- `scan`: PDFs rendered to pictures as a scanner would make them (a slight turn, blur, dust),
  then read by OCR.
Misses list the expected and the found value; a found value that is wrong (not just missing)
is counted apart, since a wrong answer is worse than none.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from inbox.extract.archive import Budget
from inbox.extract.classify import Origin, classify
from inbox.extract.model import Decision, DocumentKind, InvoiceFields, Part
from inbox.extract.ocr import OcrAllowance
from inbox.extract.reading import read_pdf_text, read_pictures
from inbox.extract.sniff import PDF, detect_type
from inbox.scans import scanned_pages

FIELDS = ("invoice_number", "issue_date", "seller", "total", "currency")
READ_AS_INVOICE = ("ok", "invalid_xml_declaration")  # expectations whose values are compared
READINGS = ("production", "text", "scan")
EVAL_OCR_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What extraction made of one file: an expectation word and the fields, if any."""

    kind: str  # einvoice, text, no_einvoice, pdf_error, unsupported_format, xml_error, skipped
    fields: InvoiceFields | None = None
    reason: str = ""


def extract_file(data: bytes, name: str = "", read: str = "production") -> Outcome:
    if read != "production":
        return _read_pictures_or_text(data, name, read)
    (part, *_) = classify(Origin("1", "", name), data, Budget())
    return _outcome(part)


def _outcome(part: Part) -> Outcome:
    if part.decision is Decision.CORRUPT or (
        part.pdf is not None and part.pdf.unreadable and not part.pdf.encrypted
    ):
        return Outcome("pdf_error", reason=part.reason)
    if part.decision is Decision.UNSUPPORTED:
        return Outcome("unsupported_format", reason=part.reason)
    if part.decision is not Decision.DOCUMENT:
        return Outcome("skipped", reason=part.reason)
    if part.kind is DocumentKind.EINVOICE_XML:
        if part.invoice is None:
            kind = "unsupported_format" if "unsupported" in part.reason else "xml_error"
            return Outcome(kind, reason=part.reason)
        return Outcome("einvoice", part.invoice)
    if part.invoice is not None and part.invoice.source == "xml":
        return Outcome("einvoice", part.invoice)
    return Outcome("no_einvoice", part.invoice)


def _read_pictures_or_text(data: bytes, name: str, read: str) -> Outcome:
    if detect_type(data) != PDF:
        return Outcome("skipped", reason="not a PDF: nothing to read as text or as a scan")
    if read == "text":
        reading = read_pdf_text(data, lambda: "", OcrAllowance(seconds=0))
        return Outcome("no_einvoice", reading.fields, reading.note)
    pages = scanned_pages(data, seed=zlib.crc32(name.encode()))
    if not pages:
        return Outcome("pdf_error", reason="no page could be rendered")
    # Generous time: this measures reading, not speed (bench.ocr does), on a machine that
    # may be busy with other work.
    reading = read_pictures(pages, OcrAllowance(seconds=EVAL_OCR_SECONDS, call_seconds=EVAL_OCR_SECONDS))
    return Outcome("no_einvoice", reading.fields, reading.note)


def _value(fields: InvoiceFields | None, name: str) -> object:
    if fields is None:
        return None
    value = getattr(fields, "number" if name == "invoice_number" else name)
    return " ".join(value.split()) if isinstance(value, str) else value


def _wanted(entry: dict, name: str) -> object:
    raw = entry.get(name)
    if raw is None:
        return None
    if name == "issue_date":
        return date.fromisoformat(raw)
    if name == "total":
        try:
            return Decimal(raw)
        except InvalidOperation:
            return raw
    return " ".join(str(raw).split())


def _outcome_matches(expect: str, outcome: Outcome, read: str) -> bool:
    if expect in READ_AS_INVOICE:
        return outcome.fields is not None
    if expect == "no_einvoice" or read != "production":
        return outcome.kind == "no_einvoice"
    return outcome.kind == expect


def load_expected(paths: list[Path]) -> dict[str, dict]:
    """Entries by file; a later file's entry overrides (key by key) an earlier one's."""
    entries: dict[str, dict] = {}
    for path in paths:
        for entry in json.loads(path.read_text(encoding="utf-8")):
            entries[entry["file"]] = {**entries.get(entry["file"], {}), **entry}
    return entries


def run(directory: Path, expected: Path | list[Path], out: TextIO, read: str = "production") -> int:
    """Print per-field accuracy and every miss; 0 when everything matched, else 1."""
    expected_files = expected if isinstance(expected, list) else [expected]
    entries = load_expected(expected_files)
    skip = {p.resolve() for p in expected_files}
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.resolve() not in skip)
    hits = dict.fromkeys(FIELDS, 0)
    wrong = dict.fromkeys(FIELDS, 0)
    compared = outcomes_ok = 0
    misses: list[str] = []
    seen: set[str] = set()
    for path in files:
        name = path.relative_to(directory).as_posix()
        entry = entries.get(name)
        if entry is None:
            continue
        seen.add(name)
        outcome = extract_file(path.read_bytes(), path.name if read == "production" else name, read)
        expect = entry.get("expect", "ok")
        if outcome.kind == "skipped" and read != "production":
            continue
        if _outcome_matches(expect, outcome, read):
            outcomes_ok += 1
        else:
            misses.append(f"{name}: expected {expect}, got {outcome.kind} {outcome.reason}".strip())
        listed_plain = expect == "no_einvoice" and entry.get("invoice_number") is not None
        if expect not in READ_AS_INVOICE and not listed_plain:
            continue  # not read as an invoice, or a plain PDF whose printed values are not listed
        compared += 1
        for field in FIELDS:
            got, wanted = _value(outcome.fields, field), _wanted(entry, field)
            if got == wanted:
                hits[field] += 1
            else:
                wrong[field] += got is not None
                misses.append(f"{name}: {field} expected {wanted!r}, got {got!r}")
    for name in sorted(set(entries) - seen):
        misses.append(f"{name}: listed in {expected_files[-1].name} but not found")
    listed = len(entries)
    out.write(f"reading: {read}\n")
    out.write(f"files: {len(seen)} of {listed} listed; outcomes as expected: {outcomes_ok}\n")
    for field in FIELDS:
        share = hits[field] / compared if compared else 0.0
        out.write(f"{field:15} {hits[field]:4}/{compared:<4} {share:7.1%}  wrong: {wrong[field]}\n")
    out.write(f"misses: {len(misses)}\n")
    for miss in misses:
        out.write(f"  {miss}\n")
    return 0 if not misses else 1


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "eval-extraction", help="measure invoice field extraction over a folder of files"
    )
    parser.add_argument("directory", type=Path, help="folder of PDF and XML invoices")
    parser.add_argument(
        "--expected",
        type=Path,
        required=True,
        action="append",
        help="JSON list of expected results per file; again to override entries",
    )
    parser.add_argument(
        "--read",
        choices=READINGS,
        default="production",
        help="production path (default), PDFs by their text layer only, or PDFs rendered as scans and OCR'd",
    )
    parser.set_defaults(handler=lambda args: run(args.directory, args.expected, sys.stdout, args.read))
    return parser
