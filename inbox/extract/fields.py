"""Invoice fields from a page's layout: each label is paired with the value next to it.

A value is taken from the label's own cell ("Invoice No. 42"), else from the next cell on the
same line, else from the cell below it in the same column (a row of labels over a row of
values). Labels decide; nothing is taken by its shape alone, so line items, due dates and
customer numbers are not mistaken for the answer. Amounts are checked against each other:
net + VAT must give the total where all three are printed, and a net or VAT amount is never
the total. When in doubt a field stays empty: a wrong total is worse than none.
Structured XML, when present, always wins (merge_fields).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from inbox.extract.hints import Hint, read_hinted
from inbox.extract.labels import (
    CREDIT_NOTE_TITLE,
    DATE_AFTER_NUMBER,
    ITEM_HEADINGS,
    LABELS,
    NOT_INVOICE_NUMBER,
    NOT_ISSUE_DATE,
    NOT_TOTAL,
    Label,
)
from inbox.extract.layout import Cell, Layout, layout_from_text
from inbox.extract.model import InvoiceFields, InvoiceSource, InvoiceType
from inbox.extract.text_values import (
    AMOUNT,
    amounts,
    day_first,
    leading_date,
    leading_number,
    most_common_currency,
)

MAX_TEXT_CHARS = 200_000
LEARNT_CONFIDENCE = 0.95  # where a correction showed this supplier prints the field
BELOW_LINES = 4  # how many lines under a label its value may be
BELOW_DISTANCE = 4  # in label heights
MAX_STACKED = 6  # amounts stacked under one label (per VAT rate, then the sum)
MAX_WORDS_BEFORE_AMOUNT = 4  # "TVA 20 % sur 100,00 : 20,00" yes; a sentence with an amount, no

_INCLUSIVE = re.compile(r"ttc|t\.t\.c|incl|inkl|including|brutto|gross", re.IGNORECASE)
_AMOUNT_KINDS = ("gross", "payable", "balance", "paid", "net", "vat", "total")
# What may follow a label before its value: a rate, a note in brackets ("19 %", "(inkl. USt.)").
_LABEL_TAIL = re.compile(r"\([^)]*\)|\d+(?:[.,]\d+)?\s*%|\b(?:in|en)\b|€|\$|£|EUR|USD|GBP|CHF")
_HOW_RANK = {"inline": 0, "right": 0, "below": 1}
_LEGAL_FORM = re.compile(
    r"\b((?i:gmbh)|AG|KG|UG|e\.K\.|SARL|SAS|SASU|EURL|SA|SCI|Ltd|Limited|LLC|Inc|PLC|LLP|S\.A\.)\b"
)
_LETTERHEAD_SEPARATOR = re.compile(r"\s[•·|–—-]\s|,\s(?=\d)")
_SPACER = re.compile(r"[:#]?\s*(?:€|\$|£|EUR|USD|GBP|CHF)?|\W{1,2}|\w\W?")
_TITLE_WORD = re.compile(r"^(facture|rechnung|invoice|avoir|gutschrift|credit\s*note)\b", re.I)


@dataclass(frozen=True, slots=True)
class _Found:
    value: Any  # a str, date or Decimal, by the field
    strength: int
    how: str  # inline, right or below
    order: int  # position in reading order, for "first" and "last"
    currency: str | None = None

    @property
    def rank(self) -> tuple[int, int]:
        return self.strength, _HOW_RANK[self.how]


def fields_from_text(text: str) -> InvoiceFields | None:
    """Fields from text without positions (cells split at runs of spaces)."""
    return fields_from_layout(layout_from_text(text[:MAX_TEXT_CHARS]))


def fields_from_layout(layout: Layout, hints: tuple[Hint, ...] = ()) -> InvoiceFields | None:
    """Fields found in a layout, or None when it shows no invoice number, date or total.

    Hints (learnt from this supplier's corrections) are followed first; the generic reader
    fills what they do not find."""
    text = layout.text()
    reader = _Reader(layout, day_first(text))
    hinted = read_hinted(layout, hints) if hints else {}
    number = _learnt(hinted, "number") or reader.number()
    issue_date = _learnt(hinted, "issue_date") or reader.issue_date()
    amounts_by_kind = reader.amounts()
    total, total_confidence = _choose_total(amounts_by_kind)
    if "total" in hinted:
        total, total_confidence = _learnt(hinted, "total"), LEARNT_CONFIDENCE
    if number is None and issue_date is None and total is None:
        return None
    credit_note = any(CREDIT_NOTE_TITLE.match(cell.text) for line in layout.lines[:40] for cell in line)
    currency = (total.currency if total else None) or most_common_currency(text)
    seller, seller_confidence = _find_seller([c.text for line in layout.lines[:15] for c in line])
    net = _best(amounts_by_kind["net"], last=True)
    vat = _best(amounts_by_kind["vat"], last=True)
    payable = _best(amounts_by_kind["payable"] or amounts_by_kind["balance"], last=True)
    total_value = total.value if total else None
    if credit_note and isinstance(total_value, Decimal) and total_value < 0:
        total_value = -total_value  # EN 16931: a credit note states positive amounts
    confidence = {
        name: value
        for name, value in (
            ("number", _confidence(number)),
            ("issue_date", _confidence(issue_date)),
            ("total", total_confidence),
            ("currency", 0.8 if currency else 0.0),
            ("seller", seller_confidence),
        )
        if value
    }
    return InvoiceFields(
        source=InvoiceSource.TEXT,
        type=InvoiceType.CREDIT_NOTE if credit_note else None,
        number=number.value if number else None,
        issue_date=issue_date.value if issue_date else None,
        seller=seller,
        net_total=net.value if net else None,
        tax_total=vat.value if vat else None,
        total=total_value,
        amount_due=payable.value if payable else None,
        currency=currency,
        confidence=confidence,
    )


def _learnt(hinted: dict[str, object], name: str) -> _Found | None:
    return _Found(hinted[name], -1, "inline", 0) if name in hinted else None


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


class _Reader:
    """Labels found in a layout, each with the values offered next to it."""

    def __init__(self, layout: Layout, day_first: bool | None) -> None:
        self.layout = layout
        self.day_first = day_first

    def cells(self) -> Iterator[tuple[int, Cell]]:
        order = 0
        for line in self.layout.lines:
            for cell in line:
                yield order, cell
                order += 1

    def number(self) -> _Found | None:
        found = []
        for order, cell in self.cells():
            for label, match in self._matches(cell, "number"):
                if NOT_INVOICE_NUMBER.search(cell.text[: match.end()]):
                    continue
                for how, text, source in self._offers(cell, match, label):
                    value = leading_number(text)
                    if value is not None:
                        number = self._unwrap(value[0], source).rstrip("-/")
                        found.append(_Found(number, label.strength, how, order))
                        break
        return _best(found)

    def issue_date(self) -> _Found | None:
        found = []
        for order, cell in self.cells():
            for label, match in self._matches(cell, "date"):
                if NOT_ISSUE_DATE.search(cell.text[: match.end() + 12]):
                    continue
                for how, text, _source in self._offers(cell, match, label):
                    value = leading_date(text, day_first=self.day_first)
                    if value is not None:
                        found.append(_Found(value, label.strength, how, order))
                        break
            found.extend(self._date_after_number(cell, order))
        return _best(found)

    def _date_after_number(self, cell: Cell, order: int) -> list[_Found]:
        """ "Rechnung Nr. 42 vom 5.3.2024": a date right after the invoice number."""
        for _label, match in self._matches(cell, "number"):
            value = leading_number(cell.text[match.end() :])
            if value is None:
                continue
            rest = cell.text[match.end() + value[1] :]
            if not rest.strip():  # "vom 5.3.2024" wrapped to the next line
                below = self._below(cell)
                rest = " " + below.text if below is not None else ""
            connector = DATE_AFTER_NUMBER.match(rest)
            if connector:
                after = rest[connector.end() :]
                if not after.strip():  # the date wrapped to the next line
                    below = self._below(cell)
                    after = below.text if below is not None else ""
                found = leading_date(after, day_first=self.day_first)
                if found is not None:
                    return [_Found(found, 1, "inline", order)]
        return []

    def amounts(self) -> dict[str, list[_Found]]:
        found: dict[str, list[_Found]] = {kind: [] for kind in (*_AMOUNT_KINDS, "unread")}
        for order, cell in self.cells():
            classified = self._amount_label(cell)
            if classified is None:
                continue
            label, match = classified
            for how, text, _source in self._offers(cell, match, label, amounts_below=True):
                values = amounts(text)
                first = AMOUNT.search(text)
                if how == "inline" and first is not None and _wordy(text[: first.start()]):
                    break
                if values:
                    value, currency = values[-1]
                    found[label.kind].append(_Found(value, label.strength, how, order, currency))
                    break
            else:
                if label.kind == "gross" and not _wordy(cell.text, 3):
                    found["unread"].append(_Found(None, label.strength, "inline", order))
        return found

    def _amount_label(self, cell: Cell) -> tuple[Label, re.Match[str]] | None:
        """What kind of amount a cell names: a total stays a total only when no net or VAT
        word says otherwise ("Total HT", "VAT total"), unless it says it includes them."""
        matches = {}
        for label in LABELS:
            if label.kind in _AMOUNT_KINDS and label.kind not in matches:
                match = label.pattern.search(cell.text)
                if match:
                    matches[label.kind] = (label, match)
        if not matches:
            return None
        inclusive = _INCLUSIVE.search(cell.text) is not None
        for kind in ("payable", "balance", "gross", "paid", "net", "vat", "total"):
            if kind not in matches:
                continue
            if kind in ("gross", "payable", "balance", "total") and NOT_TOTAL.search(cell.text):
                return None
            if kind in ("gross", "total") and not inclusive and ("net" in matches or "vat" in matches):
                continue
            return matches[kind]
        return None

    def _matches(self, cell: Cell, kind: str) -> Iterator[tuple[Label, re.Match[str]]]:
        for label in LABELS:
            if label.kind == kind:
                for match in label.pattern.finditer(cell.text):
                    yield label, match

    def _offers(
        self, cell: Cell, match: re.Match[str], label: Label, amounts_below: bool = False
    ) -> Iterator[tuple[str, str, Cell]]:
        """Texts that may hold the label's value, nearest first."""
        rest = cell.text[match.end() :]
        yield "inline", rest, cell
        line = self.layout.lines[cell.line]
        if label.inline_only:
            # A title whose "#" or "No." a wide gap (OCR) put in the next cell: "Invoice | #42".
            after = [c for c in line if c.x0 >= cell.x1][:1]
            if not rest.strip() and after and _NUMBER_SIGN.match(after[0].text):
                yield "right", after[0].text, after[0]
            return
        if _LABEL_TAIL.sub("", rest).strip(" :#.\u00a0"):
            return
        right = [c for c in line if c.x0 >= cell.x1]
        # A colon, a currency, or a speck of dust (OCR) may stand between a label and its value.
        while len(right) > 1 and _SPACER.fullmatch(right[0].text) and label.kind != "number":
            right = right[1:]
        if right and not _is_label(right[0]):
            yield "right", right[0].text, right[0]
            if amounts_below:
                return  # an amount's row is its own; below it is another row's amount
        if amounts_below and label.kind == "total":
            return  # a bare "Total" heads columns of line items too: only its own line counts
        if amounts_below and any(ITEM_HEADINGS.match(c.text) for c in line if c is not cell):
            return  # a column heading of line items: the amounts below are items
        if amounts_below:
            column = self._amount_column(cell)
            if column is not None:
                yield "below", column.text, column
            return
        below = self._below(cell)
        if below is not None:
            yield "below", below.text, below

    def _below(self, cell: Cell) -> Cell | None:
        for line in self.layout.lines[cell.line + 1 : cell.line + 1 + BELOW_LINES]:
            if line[0].page != cell.page or line[0].top - cell.bottom > BELOW_DISTANCE * cell.height:
                return None
            for other in line:
                if other.overlaps_columns(cell):
                    return other
        return None

    def _labelled(self, value: Cell) -> bool:
        """Whether a value's line names it with a label of its own ("Acompte : 10,00")."""
        return any(self._amount_label(c) for c in self.layout.lines[value.line] if c is not value)

    def _amount_column(self, label: Cell) -> Cell | None:
        """The amount under a label; when several are stacked (one per VAT rate, then their
        sum), the sum row, and nothing when the last is not the sum of the others."""
        stacked: list[tuple[Cell, Decimal]] = []
        above = label
        while len(stacked) < MAX_STACKED:
            below = self._below(above)
            values = amounts(below.text) if below is not None else []
            if below is None or len(values) != 1 or self._labelled(below) or _wordy(below.text, 1):
                break
            stacked.append((below, values[0][0]))
            above = below
        if len(stacked) == 1:
            return stacked[0][0]
        if len(stacked) > 1 and sum(v for _, v in stacked[:-1]) == stacked[-1][1]:
            return stacked[-1][0]
        return None

    def _unwrap(self, number: str, source: Cell) -> str:
        """A number broken after "-" or "/" continues in the cell below."""
        if not number.endswith(("-", "/")):
            return number
        below = self._below(source)
        if below is not None:
            rest = leading_number(below.text)
            if rest is not None:
                return number + rest[0]
        return number


_NUMBER_SIGN = re.compile(r"(?:#|n[o°º]\.|nr\.)\s*\w", re.IGNORECASE)


def _is_label(cell: Cell) -> bool:
    """Whether a cell starts with a label: then it heads its own value (a row of labels)."""
    return any(label.pattern.match(cell.text) for label in LABELS)


def _wordy(text: str, most: int = MAX_WORDS_BEFORE_AMOUNT) -> bool:
    return len(re.findall(r"[^\W\d]{2,}", _LABEL_TAIL.sub("", text))) > most


def _choose_total(found: dict[str, list[_Found]]) -> tuple[_Found | None, float]:
    """The invoice total with VAT: a gross label first, else what is to pay (when nothing was
    paid before), else a bare "Total"; checked against net + VAT when both are printed. What
    is left after payments ("Solde à payer") is the amount due, never the total."""
    net = _best(found["net"], last=True)
    vat = _best(found["vat"], last=True)
    paid = [f for f in found["paid"] if f.value]
    if not found["gross"] and found["unread"]:
        return None, 0.0  # the total is named but its amount unreadable: no guess from others
    candidates = found["gross"] or (found["payable"] if not paid else []) or found["total"]
    total = _best(candidates, last=True)
    if total is None:
        return None, 0.0
    excluded = {f.value for f in found["net"]}
    if net is not None and vat is not None:
        expected = net.value + vat.value
        if total.value == expected:
            return total, 0.95
        agreeing = [f for f in candidates if f.value == expected]
        if agreeing:
            return _best(agreeing, last=True), 0.9
    vat_charged = vat is not None and vat.value != 0
    if total.value in {f.value for f in found["vat"]} or (vat_charged and total.value in excluded):
        return None, 0.0  # a net or VAT amount under a total label: no answer beats a wrong one
    return total, (0.85, 0.75, 0.6)[min(total.strength, 2)] - 0.1 * _HOW_RANK[total.how]


def _best(found: list[_Found], *, last: bool = False) -> _Found | None:
    """The strongest label's value; among equals, the first (or, for amounts, the last)."""
    if not found:
        return None
    best_rank = min(f.rank for f in found)
    equals = [f for f in found if f.rank == best_rank]
    return max(equals, key=lambda f: f.order) if last else min(equals, key=lambda f: f.order)


def _confidence(found: _Found | None) -> float:
    if found is None:
        return 0.0
    if found.strength < 0:
        return LEARNT_CONFIDENCE
    return round(0.9 - 0.15 * found.strength - 0.1 * _HOW_RANK[found.how], 2)


_SPECKS = "-.,:;'\"•·*+ "  # dust or a bullet a scan puts before a letterhead's name


def _find_seller(cells: list[str]) -> tuple[str | None, float]:
    """A company named by its legal form near the top (the part of a letterhead line
    "Name GmbH • Street • City" that names it), else the letterhead's first cell."""
    head = [cell for cell in cells if not AMOUNT.search(cell) and ":" not in cell]
    for cell in head:
        for part in _LETTERHEAD_SEPARATOR.split(cell):
            if _LEGAL_FORM.search(part) and not _TITLE_WORD.match(part) and len(part) <= 80:
                return part.strip().lstrip(_SPECKS).strip(), 0.6
    for cell in head:
        if re.search(r"[A-Za-zÀ-ÿ]{3}", cell) and not _TITLE_WORD.match(cell) and len(cell) <= 60:
            return cell, 0.3
    return None, 0.0
