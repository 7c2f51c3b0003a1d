"""OCR's usual slips, put right before the layout reader sees the words.

It splits numbers at their punctuation ("RE- 20200620/508", "571. 04"): such pieces, close
together on one line, are joined. It misreads a letter or two of a long label
("Rechiungsoummer"); such words are put back to the label word they nearly spell.

Only long single words are repaired, only towards a known word, and only when one known
word is clearly nearest: the list holds the labels that must not be taken for the answer
(customer, order, delivery) as well, so a misread "Kundennummer" stays a customer number.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from inbox.extract.layout import Word

MIN_LENGTH = 8
MIN_RATIO = 0.8
MAX_SPLIT_GAP = 0.8  # in word heights: a wider gap separates two values
_AMOUNT_PIECE = re.compile(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}\b")
_SPLIT_AFTER = re.compile(r"(?:[A-Z0-9][-/]|\d[.,])$")  # "RE-", "2019-", "2024/", "571."
MIN_MARGIN = 0.035  # over the next nearest known word
LABEL_WORDS = (
    # What the reader looks for.
    "Rechnungsnummer", "Rechnungsnr", "Rechnungsdatum", "Belegnummer", "Belegdatum",
    "Ausstellungsdatum", "Rechnungsbetrag", "Gesamtbetrag", "Bruttosumme", "Bruttobetrag",
    "Zahlbetrag", "Endbetrag", "Gesamtsumme", "Nettobetrag", "Zwischensumme", "Steuerbetrag",
    "Umsatzsteuer", "Anzahlung", "Gutschrift", "Invoice", "Facture", "Rechnung",
    # What it must keep apart from them.
    "Kundennummer", "Bestellnummer", "Auftragsnummer", "Lieferscheinnummer", "Lieferdatum",
    "Leistungsdatum", "Bestelldatum", "Fälligkeitsdatum", "Steuernummer", "Positionssumme",
    "Referenz", "Reference", "Customer", "Delivery", "Livraison", "Commande", "Basisbetrag",
    "Steuerbasisbetrag", "Rechnungssumme", "Rechnungsempfänger", "Rechnungsersteller",
    # Common words near them, which stay as they are ("Lieferant" is not a misread "Lieferdatum").
    "Lieferant", "Lieferung", "Lieferanschrift", "Rechnungen", "Anzahlungen",
)  # fmt: skip
_BY_LENGTH = sorted(LABEL_WORDS, key=len)


def repair(words: tuple[Word, ...]) -> tuple[Word, ...]:
    return tuple(_repaired(word) for word in join_split_numbers(words))


def join_split_numbers(words: tuple[Word, ...]) -> tuple[Word, ...]:
    """Join "RE-" + "20200620/508" and "571." + "04": a piece ending in punctuation, then one
    starting with a digit, on the same line with no more than a narrow gap between them."""
    joined: list[Word] = []
    for word in words:
        previous = joined[-1] if joined else None
        if previous is not None and _continues(previous, word):
            joined[-1] = Word(
                previous.text + word.text,
                word.page,
                previous.x0,
                min(previous.top, word.top),
                word.x1,
                max(previous.bottom, word.bottom),
            )
        else:
            joined.append(word)
    return tuple(joined)


def _continues(left: Word, right: Word) -> bool:
    height = max(left.bottom - left.top, right.bottom - right.top, 1)
    same_line = abs((left.top + left.bottom) / 2 - (right.top + right.bottom) / 2) < height / 2
    close = 0 <= right.x0 - left.x1 <= MAX_SPLIT_GAP * height
    if not (left.page == right.page and same_line and close and right.text[:1].isdigit()):
        return False
    if _SPLIT_AFTER.search(left.text) is None:
        return False
    # "HT- 100,00" is a label and an amount, not a number: only digits join onto an amount.
    return not (_AMOUNT_PIECE.match(right.text) and not left.text[:-1].isdigit())


def _repaired(word: Word) -> Word:
    core = word.text.strip(".:;,[](){}|!'\"")
    if len(core) < MIN_LENGTH or any(ch.isdigit() for ch in core):
        return word
    lowered = core.lower()
    scored = sorted(
        ((SequenceMatcher(None, lowered, known.lower()).ratio(), known) for known in _BY_LENGTH),
        reverse=True,
    )
    (best, known), (second, _) = scored[0], scored[1]
    if best < MIN_RATIO or best == 1.0 or best - second < MIN_MARGIN:
        return word
    return Word(word.text.replace(core, known), word.page, word.x0, word.top, word.x1, word.bottom)
