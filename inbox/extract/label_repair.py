"""OCR misreads a letter or two of a long label ("Rechiungsoummer"); such words are put back
to the label word they nearly spell, so the layout reader recognises them.

Only long single words are repaired, only towards a known word, and only when one known
word is clearly nearest: the list holds the labels that must not be taken for the answer
(customer, order, delivery) as well, so a misread "Kundennummer" stays a customer number.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from inbox.extract.layout import Word

MIN_LENGTH = 8
MIN_RATIO = 0.8
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
)  # fmt: skip
_BY_LENGTH = sorted(LABEL_WORDS, key=len)


def repair_labels(words: tuple[Word, ...]) -> tuple[Word, ...]:
    return tuple(_repaired(word) for word in words)


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
