"""DATEV "Buchungsstapel" (EXTF format 700, category 21, version 13): the import file German
accountants read into DATEV. Line 1 is the EXTF header, line 2 the column names, then one
booking per document: the amount without sign, S/H (an invoice credits the supplier: "H"; a
credit note debits them: "S"), currency, document date (DDMM), invoice number and supplier.

Accounts (Konto, Gegenkonto) are left empty for the accountant's own chart of accounts;
documents without a total cannot be booked and are left out. Encoded in Windows-1252, as
DATEV reads it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from storage.read_models import DocumentRead
from vocabulary import InvoiceType
from web.amounts import signed_total

COLUMNS = (
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
)


@dataclass(frozen=True, slots=True)
class Booking:
    amount: Decimal  # without sign: the side says which way
    side: str  # "S" (Soll, debit) or "H" (Haben, credit)
    currency: str
    day: date
    number: str
    text: str


def booking_of(doc: DocumentRead) -> Booking | None:
    """The booking for a document (a DocumentRead), None when it has no total."""
    invoice = doc.invoice
    amount = signed_total(invoice)
    if invoice is None or amount is None:
        return None
    side = "S" if invoice.type == InvoiceType.CREDIT_NOTE or amount < 0 else "H"
    return Booking(
        amount=abs(amount),
        side=side,
        currency=(invoice.currency or "EUR").upper()[:3],
        day=invoice.issue_date or doc.received_at.date(),
        number=_belegfeld(invoice.number or ""),
        text=(invoice.seller or doc.sender or "")[:60],
    )


def datev_file(bookings: list[Booking], created: datetime) -> bytes:
    days = [b.day for b in bookings] or [created.date()]
    first, last = min(days), max(days)
    header = [
        '"EXTF"', "700", "21", '"Buchungsstapel"', "13",
        created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}",
        "", '""', '""', '""',
        "", "",  # Beraternummer, Mandantennummer: the accountant's, filled in on import
        first.replace(month=1, day=1).strftime("%Y%m%d"), "4",
        first.strftime("%Y%m%d"), last.strftime("%Y%m%d"),
        '"invoice-inbox"', '""', "1", "0", "0", '"EUR"',
    ]  # fmt: skip
    lines = [";".join(header), ";".join(_quoted(c) for c in COLUMNS)]
    lines += [_line(b) for b in bookings]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def _line(b: Booking) -> str:
    cells = [
        f"{b.amount:.2f}".replace(".", ","),
        _quoted(b.side),
        _quoted(b.currency),
        "", "", "", "", "", "",
        b.day.strftime("%d%m"),
        _quoted(b.number),
        "", "",
        _quoted(b.text),
    ]  # fmt: skip
    return ";".join(cells)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _belegfeld(number: str) -> str:
    """Belegfeld 1 takes up to 36 characters of letters, digits and $&%*+-/."""
    allowed = "".join(ch for ch in number if ch.isalnum() or ch in "$&%*+-/")
    return allowed[:36]


def bookings_of(docs: Iterable[DocumentRead]) -> list[Booking]:
    return [b for b in (booking_of(d) for d in docs) if b is not None]
