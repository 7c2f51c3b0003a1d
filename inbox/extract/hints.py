"""Where one supplier prints a field, learnt from a correction and used first next time.

When a user corrects a field, `learn` finds the corrected value on the document's layout and
remembers its label and where the value sat from it (in the label's cell, right of it, under
it). For the next invoice from that supplier, `read_hinted` looks for the same label and takes
the value from the same place. Pure: layouts and values in, hints and values out; storing hints
per supplier is storage's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.utils import parseaddr

from inbox.extract.layout import Cell, Layout
from inbox.extract.text_values import amounts, day_first, leading_date, leading_number, parse_date
from vocabulary import TAUGHT_INVOICE_FIELDS

FIELDS = TAUGHT_INVOICE_FIELDS
MAX_LABEL_CHARS = 60


@dataclass(frozen=True, slots=True)
class Hint:
    field: str  # number, issue_date or total
    label: str  # the label's words, folded (lower case, single spaces, no digits or punctuation)
    place: str  # inline, right or below


def sender_address(sender: str) -> str:
    """The key hints are kept under: the sender's address, lower case ("" when there is none)."""
    return parseaddr(sender)[1].strip().lower()


def learn(layout: Layout, field: str, value: str | date | Decimal) -> Hint | None:
    """The label and place of `value` on this layout, or None when it is not printed there."""
    if field not in FIELDS:
        return None
    order = day_first(layout.text())
    for line in layout.lines:
        for index, cell in enumerate(line):
            start = _position(cell.text, field, value, order)
            if start is None:
                continue
            before = _fold(cell.text[:start])
            if before:
                return Hint(field, before, "inline")
            if index > 0 and _fold(line[index - 1].text):
                return Hint(field, _fold(line[index - 1].text), "right")
            above = _above(layout, cell)
            if above is not None and _fold(above.text):
                return Hint(field, _fold(above.text), "below")
    return None


def read_hinted(layout: Layout, hints: tuple[Hint, ...]) -> dict[str, object]:
    """Values found where the hints say; a field whose label is not on this layout is absent."""
    order = day_first(layout.text())
    found: dict[str, object] = {}
    for hint in hints:
        if hint.field in found:
            continue
        for line in layout.lines:
            for index, cell in enumerate(line):
                text = _offered(layout, line, index, cell, hint)
                value = _parse(hint.field, text, order) if text is not None else None
                if value is not None:
                    found[hint.field] = value
                    break
            if hint.field in found:
                break
    return found


def _offered(layout: Layout, line: tuple[Cell, ...], index: int, cell: Cell, hint: Hint) -> str | None:
    folded = _fold(cell.text)
    if hint.place == "inline":
        if folded != hint.label and not folded.startswith(hint.label + " "):
            return None
        return _after_label(cell.text, hint.label)
    if folded != hint.label:
        return None
    if hint.place == "right":
        return line[index + 1].text if index + 1 < len(line) else None
    below = _below(layout, cell)
    return below.text if below is not None else None


def _after_label(text: str, label: str) -> str:
    """The text after as many leading words as the label has."""
    words = len(label.split())
    pieces = re.split(r"(\s+)", text.strip())
    seen = 0
    for position, piece in enumerate(pieces):
        if _fold(piece):
            seen += 1
            if seen == words:
                return "".join(pieces[position + 1 :])
    return ""


def _position(text: str, field: str, value: object, order: bool | None) -> int | None:
    if field == "number":
        match = re.search(rf"(?<![\w/-]){re.escape(str(value))}(?![\w/-])", text)
        return match.start() if match else None
    if field == "issue_date":
        found = parse_date(text, day_first=order)
        return found[1] if found and found[0] == value else None
    for match in re.finditer(r"\S", text):  # the first place from which the amount is read
        values = amounts(text[match.start() :])
        if values and values[0][0] == Decimal(str(value)) and not amounts(text[: match.start()]):
            return match.start()
    return None


def _parse(field: str, text: str, order: bool | None) -> object:
    if field == "number":
        found = leading_number(text)
        return found[0] if found else None
    if field == "issue_date":
        return leading_date(text, day_first=order)
    values = amounts(text)
    return values[0][0] if values else None


def _above(layout: Layout, cell: Cell) -> Cell | None:
    for line in reversed(layout.lines[max(0, cell.line - 3) : cell.line]):
        for other in line:
            if other.page == cell.page and other.overlaps_columns(cell):
                return other
    return None


def _below(layout: Layout, cell: Cell) -> Cell | None:
    for line in layout.lines[cell.line + 1 : cell.line + 4]:
        for other in line:
            if other.page == cell.page and other.overlaps_columns(cell):
                return other
    return None


def _fold(text: str) -> str:
    words = re.findall(r"[^\W\d_]+", text.casefold())
    return " ".join(words)[:MAX_LABEL_CHARS]
