"""Best-effort invoice fields from a PDF's text layer (French, German, English invoices).

Labels lead: a value counts only next to a label that names it ("Rechnungsnummer", "Net à
payer"), so line-item amounts and due dates are not mistaken for the total or the issue date.
Every field found carries a confidence; structured XML, when present, always wins (merge_fields).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from inbox.extract.model import InvoiceFields, InvoiceSource

MAX_TEXT_CHARS = 200_000
_SPACE = "[ \u00a0\u202f\u2009]"  # plain, no-break, narrow no-break and thin spaces

_NUMBER_LABEL = re.compile(
    r"(?:n[°ºo]\.?\s*de\s*facture|num[ée]ro\s*de\s*facture|facture\s*(?:n[°ºo]\.?|num[ée]ro)"
    r"|rechnungs?-?\s*(?:nummer|nr\.?)|rechnung\s*(?:nr\.?|nummer)"
    r"|invoice\s*(?:no\.?|number|num\.?|#|id))"
    r"\s*[:#]?\s*",
    re.IGNORECASE,
)
# An invoice number is one token holding at least one digit.
_NUMBER_VALUE = re.compile(r"#?\s*((?=[A-Z0-9\-/_.]*\d)[A-Z0-9][A-Z0-9\-/_.]*)", re.IGNORECASE)

_DATE_LABEL = re.compile(
    r"(?:date\s*de\s*(?:la\s*)?factur(?:e|ation)|date\s*d['’]?[ée]mission|rechnungsdatum"
    r"|invoice\s*date|date\s*of\s*issue|issue\s*date|ausstellungsdatum|(?<![a-zé])date|datum)"
    r"\s*[:]?\s*",
    re.IGNORECASE,
)
_NOT_ISSUE_DATE = re.compile(
    r"[ée]ch[ée]ance|f[äa]llig|due|liefer|livraison|delivery|leistung|p[ée]riode|period"
    r"|zahlbar|payable|commande|bestell|order",
    re.IGNORECASE,
)

# Strongest first: a label later in the list is used only when no stronger one is present.
_TOTAL_LABELS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"net\s*[àa]\s*payer|total\s*[àa]\s*payer|montant\s*[àa]\s*payer|zu\s*zahlender?\s*betrag"
        r"|zahlbetrag|amount\s*due|total\s*due|balance\s*due|amount\s*payable",
        r"total\s*ttc|montant\s*ttc|rechnungsbetrag|gesamtbetrag|endbetrag|bruttobetrag"
        r"|gesamtsumme|grand\s*total|total\s*\(?incl|invoice\s*total|total\s*amount",
        r"(?<![a-z])total(?![a-z])|summe|gesamt",
    )
]
# Words that make a "total" line something else; "incl. VAT" / "TTC" lines are not excluded.
_NOT_TOTAL = re.compile(
    r"^(?!.*(?:ttc|incl|inkl|including|brutto)).*(?<![a-z])(?:ht|hors\s*taxes?|sous-?total|sub-?total|zwischensumme|netto\w*|net(?!\s*[àa]\s*payer)|tva|mwst"
    r"|ust|vat|tax|übertrag|report|carried|brought|acompte|anzahlung|deposit|remise|rabatt"
    r"|discount)(?![a-z])",
    re.IGNORECASE,
)

_CURRENCY_SIGNS = {
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
    "EUR": "EUR",
    "USD": "USD",
    "GBP": "GBP",
    "CHF": "CHF",
}
_CURRENCY = r"(?:€|\$|£|EUR|USD|GBP|CHF)"
_AMOUNT = re.compile(
    rf"(?P<before>{_CURRENCY})?{_SPACE}?"
    rf"(?P<number>-?\d{{1,3}}(?:(?:[.,'’]|{_SPACE})\d{{3}})*[.,]\d{{2}}|-?\d+[.,]\d{{2}})(?!\d)"
    rf"(?:{_SPACE}?(?P<after>{_CURRENCY}))?"
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("janvier", "january", "januar", "jan", "jänner"),
            ("février", "fevrier", "february", "februar", "feb", "fév", "fev"),
            ("mars", "march", "märz", "maerz", "mar", "mär"),
            ("avril", "april", "apr", "avr"),
            ("mai", "may"),
            ("juin", "june", "juni", "jun"),
            ("juillet", "july", "juli", "jul", "juil"),
            ("août", "aout", "august", "aug"),
            ("septembre", "september", "sept", "sep"),
            ("octobre", "october", "oktober", "oct", "okt"),
            ("novembre", "november", "nov"),
            ("décembre", "decembre", "december", "dezember", "dec", "dez", "déc"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAME = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_DATE_PATTERNS = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?!\d)"), "dmy"),
    (
        re.compile(rf"(?<!\d)(\d{{1,2}})(?:er)?\.?\s+({_MONTH_NAME})\.?\s+(\d{{4}})", re.I),
        "d_name_y",
    ),
    (
        re.compile(rf"({_MONTH_NAME})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.I),
        "name_d_y",
    ),
)
_LEGAL_FORM = re.compile(
    r"\b(GmbH|AG|KG|UG|e\.K\.|SARL|SAS|SASU|EURL|SA|SCI|Ltd|Limited|LLC|Inc|PLC|LLP|S\.A\.)\b"
)
_TITLE_WORD = re.compile(r"^(facture|rechnung|invoice|avoir|gutschrift|credit\s*note)\b", re.I)


def fields_from_text(text: str) -> InvoiceFields | None:
    """Fields found in a text layer, or None when it shows no invoice number, date or total."""
    lines = [" ".join(line.split()) for line in text[:MAX_TEXT_CHARS].splitlines()]
    lines = [line for line in lines if line]
    number = _find_number(lines)
    issue_date = _find_issue_date(lines)
    total, currency, total_confidence = _find_total(lines)
    if number is None and issue_date is None and total is None:
        return None
    currency = currency or _most_common_currency(text)
    seller, seller_confidence = _find_seller(lines)
    confidence = {
        name: value
        for name, value in (
            ("number", 0.8 if number else 0.0),
            ("issue_date", 0.8 if issue_date else 0.0),
            ("total", total_confidence),
            ("currency", 0.8 if currency else 0.0),
            ("seller", seller_confidence),
        )
        if value
    }
    return InvoiceFields(
        source=InvoiceSource.TEXT,
        number=number,
        issue_date=issue_date,
        seller=seller,
        total=total,
        currency=currency,
        confidence=confidence,
    )


def merge_fields(xml: InvoiceFields | None, text: InvoiceFields | None) -> InvoiceFields | None:
    """Structured XML always wins: text only fills fields the XML lacks (e.g. a MINIMUM profile
    without a due date); the result's source stays "xml" when there is XML."""
    if xml is None or text is None:
        return xml or text
    filled = {}
    confidence = dict(xml.confidence)
    for field in dataclasses.fields(InvoiceFields):
        name = field.name
        if name in ("source", "confidence", "lines"):
            continue
        if getattr(xml, name) is None and getattr(text, name) is not None:
            filled[name] = getattr(text, name)
            confidence[name] = text.confidence.get(name, 0.0)
    return dataclasses.replace(xml, **filled, confidence=confidence)


def _after_label(
    lines: list[str], label: re.Pattern[str], skip: re.Pattern[str] | None = None
) -> Iterator[tuple[str, str]]:
    """(text after the label, the next line) for each labelled line not skipped."""
    for index, line in enumerate(lines):
        if skip is not None and skip.search(_AMOUNT.sub(" ", line)):
            continue
        for match in label.finditer(line):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            yield line[match.end() :], following


def _find_number(lines: list[str]) -> str | None:
    for rest, following in _after_label(lines, _NUMBER_LABEL):
        for candidate in (rest, following if not rest.strip() else ""):
            match = _NUMBER_VALUE.match(candidate.strip())
            if match and not _parse_date(match.group(1)):
                return match.group(1).rstrip(".")
    return None


def _find_issue_date(lines: list[str]) -> date | None:
    for rest, following in _after_label(lines, _DATE_LABEL, skip=_NOT_ISSUE_DATE):
        found = _parse_date(rest) or (_parse_date(following) if not rest.strip() else None)
        if found:
            return found
    return None


def _find_total(lines: list[str]) -> tuple[Decimal | None, str | None, float]:
    for strength, label in enumerate(_TOTAL_LABELS):
        best = None
        for rest, following in _after_label(lines, label, skip=_NOT_TOTAL):
            amounts = list(_AMOUNT.finditer(rest)) or (
                list(_AMOUNT.finditer(following)) if not rest.strip() else []
            )
            if amounts:
                best = amounts[-1]  # the last labelled amount: totals close the invoice
        if best is not None:
            return _decimal(best.group("number")), _currency_of(best), 0.9 - 0.2 * strength
    return None, None, 0.0


def _decimal(number: str) -> Decimal:
    digits = re.sub(rf"[.,'’]|{_SPACE}", "", number[:-3])
    return Decimal(f"{digits}.{number[-2:]}")


def _currency_of(match: re.Match[str]) -> str | None:
    sign = match.group("before") or match.group("after")
    return _CURRENCY_SIGNS.get(sign) if sign else None


def _most_common_currency(text: str) -> str | None:
    found = Counter(_CURRENCY_SIGNS[s] for s in re.findall(_CURRENCY, text[:MAX_TEXT_CHARS]))
    return found.most_common(1)[0][0] if found else None


def _parse_date(text: str) -> date | None:
    earliest: tuple[int, date] | None = None
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        found = _to_date(match.groups(), order)
        if found and (earliest is None or match.start() < earliest[0]):
            earliest = (match.start(), found)
    return earliest[1] if earliest else None


def _to_date(groups: tuple[str, ...], order: str) -> date | None:
    if order == "ymd":
        year, month, day = (int(g) for g in groups)
    elif order == "dmy":
        day, month, year = (int(g) for g in groups)
        year += 2000 if year < 100 else 0
    elif order == "d_name_y":
        day, month, year = int(groups[0]), _MONTHS[groups[1].lower()], int(groups[2])
    else:
        month, day, year = _MONTHS[groups[0].lower()], int(groups[1]), int(groups[2])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _find_seller(lines: list[str]) -> tuple[str | None, float]:
    """A line naming a company by its legal form, else the letterhead's first line."""
    head = [line for line in lines[:15] if not _AMOUNT.search(line) and ":" not in line]
    for line in head:
        if _LEGAL_FORM.search(line) and not _TITLE_WORD.match(line) and len(line) <= 80:
            return line, 0.6
    for line in head:
        if re.search(r"[A-Za-zÀ-ÿ]{3}", line) and not _TITLE_WORD.match(line) and len(line) <= 60:
            return line, 0.3
    return None, 0.0
