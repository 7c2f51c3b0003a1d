"""The words invoices use for their facts, in French, German and English. Generic only.

Each label has a kind and a strength (0 strongest). A label names a supplier never: what one
supplier prints differently is learnt from corrections, not written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Label:
    kind: str  # number, date, gross, payable, balance, total, net, vat, paid
    strength: int
    pattern: re.Pattern[str]
    inline_only: bool = False  # the value must follow in the same cell ("Invoice FA-12")


def _label(kind: str, strength: int, pattern: str, *, inline_only: bool = False) -> Label:
    return Label(kind, strength, re.compile(pattern, re.IGNORECASE), inline_only)


_DOC = r"(?:[a-zäöü]*rechnung|invoice|facture|gutschrift|avoir|credit\s*note|beleg)"
_NO = r"(?:nr\b\.?|no\b\.?|n[°º]\.?|#|number|nummer|num[ée]ro|num\b\.?|id\b)"

LABELS: tuple[Label, ...] = (
    # Invoice numbers: an explicit label, then the document title followed by a number.
    _label(
        "number",
        0,
        rf"{_DOC}s?\)?\s*-?\s*(?:\(\d{{3}}\)\s*)?{_NO}|n[°º]\.?\s*(?:de\s*)?(?:la\s*)?facture"
        r"|num[ée]ro\s*de\s*facture|document\s*(?:no\b\.?|number|#)|rechnungs-?nr\b\.?",
    ),
    _label("number", 1, rf"^[^\w]{{0,3}}(?:tax\s*)?{_DOC}\b(?:\s*\(\d{{3}}\))?", inline_only=True),
    # Issue dates.
    _label(
        "date",
        0,
        r"date\s*de\s*(?:la\s*)?factur(?:e|ation)|date\s*d['’]?[ée]mission|rechnungs-?datum|beleg-?datum"
        r"|ausstellungsdatum|invoice\s*date|date\s*of\s*(?:issue|invoice)|issue\s*date|date\s*issued"
        r"|date\s*de\s*l['’]avoir|gutschriftsdatum|datum\s*der\s*rechnung",
    ),
    _label("date", 2, r"(?<![a-zäöüé-])(?:date|datum)(?![a-z-])"),
    # Amounts: the total with VAT, what is left to pay, and what must never be taken for them.
    _label(
        "gross",
        0,
        r"total\s*ttc|montant\s*ttc|total\s*t\.t\.c|rechnungsbetrag|gesamtbetrag|bruttosumme|bruttobetrag"
        r"|endbetrag|gesamtsumme|rechnungssumme\s*brutto|summe\s*(?:inkl|brutto)|grand\s*total"
        r"|invoice\s*total|total\s*(?:gross|amount)|brutto(?![a-z])|total\s*invoice|^\W{0,2}ttc\W{0,2}$"
        r"|total\s*\(?(?:incl\.?|including|inkl\.?)\s*(?:of\s*)?(?:vat|tax(?:es)?|tva|mwst\.?|ust\.?)?\)?",
    ),
    _label(
        "payable",
        1,
        r"net\s*[àa]\s*payer|total\s*[àa]\s*payer|montant\s*[àa]\s*payer|zu\s*zahlen(?:der?\s*betrag)?"
        r"|zahlbetrag|amount\s*(?:due|to\s*pay|payable)|total\s*due|due\s*payable|balance\s*due"
        r"|total\s*payable",
    ),
    # What is left after earlier payments: the amount due, but not the invoice total.
    _label(
        "balance",
        1,
        r"solde\s*[àa]\s*payer|reste\s*[àa]\s*payer|offener\s*betrag|restbetrag"
        r"|residual|(?<![a-z])balance(?![a-z])(?!\s*due)",
    ),
    _label("total", 2, r"(?<![a-z])(?:total|summe|gesamt)(?![a-z])"),
    _label(
        "net",
        3,
        r"total\s*h\.?t|montant\s*h\.?t|sous-?total|sub-?total|zwischensumme|nettobetrag|netto"
        r"|summe\s*netto|net\s*(?:total|amount)|total\s*(?:excl|net|w/o|before)|ohne\s*(?:ust|mwst)"
        r"|positionssumme|(?<![a-z])net(?![a-z])",
    ),
    _label(
        "vat",
        3,
        r"(?<![a-z])(?:tva|mwst|ust|vat|tax|steuer|umsatzsteuer|steuerbetrag|taxes)(?![a-z-])",
    ),
    _label(
        "paid",
        3,
        r"(?:acompte|anzahlung|deposit|prepayment|vorauszahlung)(?:en|s)?"
        r"(?:\s*(?:paid|received|vers[ée]|re[çc]u|erhalten|geleistet|bezahlt))?"
        r"|bereits\s*bezahlt|already\s*paid|amount\s*paid|d[ée]j[àa]\s*(?:pay[ée]|r[ée]gl[ée])|prepaid",
    ),
)

# A number label in a cell with one of these is another document's or party's number.
NOT_INVOICE_NUMBER = re.compile(
    r"associ[ée]|li[ée]e|related|original|corrected|preceding|referenz|r[ée]f[ée]rence|bezug|gem[äa]ß"
    r"|commande|order|client|customer|kunde|bestell|auftrag|liefer|delivery|livraison|contrat|contract"
    r"|job|projekt|project|mandat|steuer|tax|vat|tva|ust|iban|siret|siren|account|konto|lief-|lief\b"
    r"|tracking|shipment|versand|purchase|po\b",
    re.IGNORECASE,
)
NOT_ISSUE_DATE = re.compile(
    r"[ée]ch[ée]ance|f[äa]llig|due|liefer|livraison|delivery|leistung|p[ée]riode|period|zahlbar|payable"
    r"|commande|bestell|order|auftrag|d[ée]but|fin\b|start|end\b|from|bis\b|until|valid|g[üu]ltig|geburt"
    r"|birth|associ|payment|paiement|zahlung|r[èe]glement|versand|shipping|prestation|service",
    re.IGNORECASE,
)
# Charges and allowances totals are not the invoice total, whatever word they use.
NOT_TOTAL = re.compile(
    r"zuschl[äa]g|abschl[äa]g|rabatt|discount|remise|allowance|charges?\b|übertrag|report|carried"
    r"|brought|frais|fee|shipping|versand|per\s*page|pro\s*seite",
    re.IGNORECASE,
)
# After a number: "Rechnung Nr. 42 vom 5.3.2024", "Facture F-1 du 12/03/2024", "issued at".
DATE_AFTER_NUMBER = re.compile(
    r"^\s*(?:,\s*)?(?:vom|von|du|dated|issued(?:\s*(?:at|on))?|of|from|le|en\s*date\s*du)\s*:?\s*",
    re.IGNORECASE,
)
# A row of column headings of a line-item table: amounts below it are items, not totals.
ITEM_HEADINGS = re.compile(
    r"^(?:qt[ée]|qty|quantit[ée]|quantity|menge|anzahl|description|d[ée]signation|bezeichnung|produkt"
    r"|product|article|artikel\w*|item|pos\.?|position|leistung|unit|einheit|p\.?\s*u\.?|prix|price"
    r"|einzelpreis|preis)\b",
    re.IGNORECASE,
)
CREDIT_NOTE_TITLE = re.compile(r"^(?:avoir|gutschrift|credit\s*note)\b", re.IGNORECASE)
