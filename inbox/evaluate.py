"""`inbox eval-extraction DIR --expected FILE.json`: how well extraction reads a folder of invoices.

Every file below DIR is run through the production path (PDF: embedded e-invoice, else the text
layer; XML: the e-invoice reader) and compared with the expected file, whose format is the
corpus's einvoices/expected.json: a list of {"file", "expect", "invoice_number", "issue_date",
"seller", "total", "currency"} with file paths relative to DIR.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from inbox.extract.einvoice import EInvoiceError, invoice_from_xml
from inbox.extract.model import InvoiceFields
from inbox.extract.pdf import read_pdf

FIELDS = ("invoice_number", "issue_date", "seller", "total", "currency")
READ_AS_INVOICE = ("ok", "invalid_xml_declaration")  # expectations whose values are compared


@dataclass(frozen=True, slots=True)
class Outcome:
    """What extraction made of one file: an expectation word and the fields, if any."""

    kind: str  # einvoice, text, no_einvoice, pdf_error, unsupported_format, xml_error, skipped
    fields: InvoiceFields | None = None
    reason: str = ""


def extract_file(data: bytes) -> Outcome:
    if data.startswith(b"%PDF-"):
        return _from_pdf(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        try:
            return Outcome("einvoice", invoice_from_xml(data))
        except EInvoiceError as err:
            kind = "unsupported_format" if "unsupported" in str(err) else "xml_error"
            return Outcome(kind, reason=str(err))
    return Outcome("skipped", reason="neither PDF nor XML")


def _from_pdf(data: bytes) -> Outcome:
    reading = read_pdf(data)  # the same reader production uses
    if reading.facts.unreadable and not reading.facts.encrypted:
        return Outcome("pdf_error", reason=reading.facts.reason)
    if reading.invoice is not None and reading.invoice.source == "xml":
        return Outcome("einvoice", reading.invoice)
    if reading.note:
        return Outcome("xml_error", reason=reading.note)
    return Outcome("no_einvoice", reading.invoice)


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


def _outcome_matches(expect: str, outcome: Outcome) -> bool:
    if expect in READ_AS_INVOICE:
        return outcome.fields is not None
    if expect == "no_einvoice":
        return outcome.kind == "no_einvoice"
    return outcome.kind == expect


def run(directory: Path, expected: Path, out: TextIO) -> int:
    """Print per-field accuracy and every miss; 0 when everything matched, else 1."""
    entries = {entry["file"]: entry for entry in json.loads(expected.read_text(encoding="utf-8"))}
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.resolve() != expected.resolve())
    hits = dict.fromkeys(FIELDS, 0)
    compared = outcomes_ok = 0
    misses: list[str] = []
    seen: set[str] = set()
    for path in files:
        name = path.relative_to(directory).as_posix()
        entry = entries.get(name)
        if entry is None:
            continue
        seen.add(name)
        outcome = extract_file(path.read_bytes())
        expect = entry.get("expect", "ok")
        if _outcome_matches(expect, outcome):
            outcomes_ok += 1
        else:
            misses.append(f"{name}: expected {expect}, got {outcome.kind} {outcome.reason}".strip())
        if expect not in READ_AS_INVOICE:
            continue
        compared += 1
        for field in FIELDS:
            got, wanted = _value(outcome.fields, field), _wanted(entry, field)
            if got == wanted:
                hits[field] += 1
            else:
                misses.append(f"{name}: {field} expected {wanted!r}, got {got!r}")
    for name in sorted(set(entries) - seen):
        misses.append(f"{name}: listed in {expected.name} but not found")
    listed = len(entries)
    out.write(f"files: {len(seen)} of {listed} listed; outcomes as expected: {outcomes_ok}\n")
    for field in FIELDS:
        share = hits[field] / compared if compared else 0.0
        out.write(f"{field:15} {hits[field]:4}/{compared:<4} {share:7.1%}\n")
    out.write(f"misses: {len(misses)}\n")
    for miss in misses:
        out.write(f"  {miss}\n")
    return 0 if not misses else 1


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "eval-extraction", help="measure invoice field extraction over a folder of files"
    )
    parser.add_argument("directory", type=Path, help="folder of PDF and XML invoices")
    parser.add_argument("--expected", type=Path, required=True, help="JSON list of expected results per file")
    parser.set_defaults(handler=lambda args: run(args.directory, args.expected, sys.stdout))
    return parser
