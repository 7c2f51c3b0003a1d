"""Invoices laid out as real ones are: values right of their labels in another column, under
them, in a row under a row of labels, next to the address block; with customer, order and job
numbers, delivery and due dates, net, VAT and deposits around the answer.

Seeded and deterministic, like invoicegen (whose wording, numbers, dates and amounts it uses).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fpdf import FPDF

from tests.invoicegen import ITEMS, SELLERS, VAT_RATE, GeneratedInvoice, _date, _money, _number

LAYOUTS = ("right", "below", "header_row", "two_column")
WORDS: dict[str, dict[str, Any]] = {  # a word, or several to choose from
    "fr": {
        "number": ["Facture n°", "N° de facture", "Numéro de facture"],
        "date": ["Date de facture", "Date", "Date d'émission"],
        "customer": "N° client",
        "order": "N° de commande",
        "job": "N° de dossier",
        "delivery": "Date de livraison",
        "due": "Échéance",
        "net": "Total HT",
        "vat": "TVA 20 %",
        "gross": ["Total TTC", "Montant TTC"],
        "payable": ["Net à payer", "Total à payer"],
        "deposit": "Acompte versé",
        "title": "FACTURE",
    },
    "de": {
        "number": ["Rechnungsnummer", "Rechnungs-Nr.", "Beleg-Nr."],
        "date": ["Rechnungsdatum", "Datum", "Belegdatum"],
        "customer": "Kundennummer",
        "order": "Bestellnummer",
        "job": "Auftragsnummer",
        "delivery": "Lieferdatum",
        "due": "Fällig am",
        "net": "Summe netto",
        "vat": "MwSt. 19 %",
        "gross": ["Gesamtbetrag", "Rechnungsbetrag", "Bruttobetrag"],
        "payable": ["Zu zahlen", "Zahlbetrag"],
        "deposit": "Anzahlung erhalten",
        "title": "RECHNUNG",
    },
    "en": {
        "number": ["Invoice number", "Invoice #", "Document number", "Invoice No."],
        "date": ["Invoice date", "Date", "Date of issue"],
        "customer": "Customer number",
        "order": "Order number",
        "job": "Job number",
        "delivery": "Delivery date",
        "due": "Due date",
        "net": "Subtotal",
        "vat": "VAT 20%",
        "gross": ["Total incl. VAT", "Invoice total", "Grand total"],
        "payable": ["Amount due", "Total due", "Amount to pay"],
        "deposit": "Deposit paid",
        "title": "INVOICE",
    },
}


def generate_layout(seed: int) -> GeneratedInvoice:
    rng = random.Random(seed)
    lang = rng.choice(["fr", "de", "en"])
    words = WORDS[lang]
    layout = LAYOUTS[seed % len(LAYOUTS)]
    currency = "EUR" if lang != "en" else rng.choice(["EUR", "GBP", "USD"])
    seller = rng.choice(SELLERS[lang])
    number = _number(rng)
    issued = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
    delivered = issued - timedelta(days=rng.randint(1, 20))
    due = issued + timedelta(days=rng.choice([14, 30]))
    items = [
        (rng.choice(ITEMS), rng.randint(1, 9), Decimal(rng.randint(100, 90_000)) / 100)
        for _ in range(rng.randint(1, 8))
    ]
    net = sum((qty * price for _, qty, price in items), Decimal("0.00"))
    vat = (net * VAT_RATE).quantize(Decimal("0.01"))
    total = net + vat
    grouping, template = rng.choice([" ", "", "."]), rng.randrange(3)

    def money(amount: Decimal) -> str:
        return _money(amount, lang, currency, grouping, template)

    facts = [
        (rng.choice(words["number"]), number),
        (rng.choice(words["date"]), _date(issued, lang, rng)),
        (words["customer"], f"{rng.randint(10000, 99999)}"),
        (words["order"], f"PO-{rng.randint(1000, 9999)}"),
        (words["job"], f"J{rng.randint(100000, 999999)}"),
        (words["delivery"], _date(delivered, lang, rng)),
        (words["due"], _date(due, lang, rng)),
    ]
    rng.shuffle(facts)

    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    _text(pdf, 15, 15, seller, bold=True)
    _text(pdf, 15, 20, "12 rue de l'Exemple, 75006 Paris")
    _text(pdf, 15, 40, words["title"], bold=True, size=16)
    if layout == "right":
        for row, (label, value) in enumerate(facts):
            _text(pdf, 110, 15 + row * 5, label)
            _text(pdf, 155, 15 + row * 5, value)
    elif layout == "below":
        for index, (label, value) in enumerate(facts):
            x, y = 15 + (index % 4) * 47, 50 + (index // 4) * 12
            _text(pdf, x, y, label)
            _text(pdf, x, y + 4.5, value)
    elif layout == "header_row":
        for index, (label, value) in enumerate(facts[:4]):
            _text(pdf, 15 + index * 47, 50, label, bold=True)
            _text(pdf, 15 + index * 47, 55, value)
        for row, (label, value) in enumerate(facts[4:]):
            _text(pdf, 110, 15 + row * 5, f"{label}: {value}")
    else:  # two columns: the buyer's address on the left, the facts on the right, same lines
        buyer = ["Client / Customer", "Kunden AG Mitte", "Kundenstraße 15", "69876 Frankfurt"]
        for row, (label, value) in enumerate(facts):
            if row < len(buyer):
                _text(pdf, 15, 50 + row * 5, buyer[row])
            _text(pdf, 110, 50 + row * 5, f"{label} {value}")
    y = 95
    for name, qty, price in items:
        _text(pdf, 15, y, name)
        _text(pdf, 100, y, str(qty))
        _text(pdf, 125, y, money(price))
        _text(pdf, 165, y, money(qty * price))
        y += 5
    y += 5
    deposit = rng.random() < 0.2
    rows = [(words["net"], net), (words["vat"], vat), (rng.choice(words["gross"]), total)]
    if deposit:
        paid = (total / 2).quantize(Decimal("0.01"))
        rows += [(words["deposit"], paid), (rng.choice(words["payable"]), total - paid)]
    elif rng.random() < 0.5:
        rows[-1] = (rng.choice(words["payable"]), total)
    if rng.random() < 0.3 and not deposit:  # a footer row of labels over a row of amounts
        for index, (label, amount) in enumerate(rows):
            _text(pdf, 60 + index * 45, y, label, bold=True)
            _text(pdf, 60 + index * 45, y + 5, money(amount))
    else:
        for label, amount in rows:
            _text(pdf, 110, y, label)
            _text(pdf, 160, y, money(amount))
            y += 5
    return GeneratedInvoice(bytes(pdf.output()), lang, number, issued, total, currency, seller)


def _text(pdf: FPDF, x: float, y: float, text: str, *, bold: bool = False, size: int = 9) -> None:
    pdf.set_font("Helvetica", style="B" if bold else "", size=size)
    pdf.text(x, y, text)
