"""Plain PDF invoices (no XML) in French, German and English, with the truth they show.

Seeded and deterministic: the same seed gives the same invoices. Layouts vary the label
wording, number and date formats, where the invoice facts sit, and add line-item tables
(multi-page when long), subtotals, VAT and due dates that must not be taken for the answer.
Core Helvetica with windows-1252 encoding renders "€" and no-break spaces on every machine
without a font file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fpdf import FPDF

NBSP = "\u00a0"
MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
}
LABELS = {
    "fr": {
        "title": ["FACTURE", "Facture"],
        "number": ["Facture n° ", "N° de facture : ", "Numéro de facture : ", "Facture N°"],
        "date": ["Date de facture : ", "Date : ", "Date de facturation : ", "Date d'émission : "],
        "due": ["Date d'échéance : ", "Échéance : ", "À payer avant le "],
        "subtotal": ["Total HT", "Sous-total HT", "Montant HT"],
        "vat": ["TVA 20 %", "Total TVA (20 %)"],
        "total": ["Total TTC", "Net à payer", "Montant TTC", "Total à payer"],
        "head": ("Désignation", "Qté", "P.U. HT", "Montant HT"),
        "carry": "Report",
    },
    "de": {
        "title": ["RECHNUNG", "Rechnung"],
        "number": ["Rechnungsnummer: ", "Rechnung Nr. ", "Rechnungs-Nr.: ", "Rechnungsnr. "],
        "date": ["Rechnungsdatum: ", "Datum: ", "Rechnungsdatum "],
        "due": ["Fällig am: ", "Zahlbar bis ", "Fälligkeitsdatum: "],
        "subtotal": ["Nettobetrag", "Zwischensumme", "Summe netto"],
        "vat": ["MwSt. 19 %", "zzgl. 19 % USt."],
        "total": ["Gesamtbetrag", "Rechnungsbetrag", "Zu zahlender Betrag", "Endbetrag"],
        "head": ("Bezeichnung", "Menge", "Einzelpreis", "Betrag"),
        "carry": "Übertrag",
    },
    "en": {
        "title": ["INVOICE", "Invoice", "TAX INVOICE"],
        "number": ["Invoice No. ", "Invoice Number: ", "Invoice #", "Invoice no: "],
        "date": ["Invoice date: ", "Date: ", "Date of issue: ", "Issue date: "],
        "due": ["Due date: ", "Payment due: ", "Due: "],
        "subtotal": ["Subtotal", "Net amount", "Total excl. VAT"],
        "vat": ["VAT 20%", "Tax (20%)"],
        "total": ["Amount due", "Total due", "Total", "Grand total", "Balance due"],
        "head": ("Description", "Qty", "Unit price", "Amount"),
        "carry": "Carried forward",
    },
}
SELLERS = {
    "fr": ["Boulangerie Martin SARL", "Atelier Dupont SAS", "Conseil & Associés EURL"],
    "de": ["Müller Maschinenbau GmbH", "Schreinerei Weiß KG", "Datenwerk AG"],
    "en": ["Acme Widgets Ltd", "Northwind Traders Inc", "Blue Harbour LLC"],
}
ITEMS = [
    "Consulting",
    "Widget A-100",
    "Support 2024-Q1",
    "Licence x12",
    "Hosting 500 GB",
    "Travel 3 days",
    "Design hours",
    "Shipping",
]
VAT_RATE = Decimal("0.20")


@dataclass(frozen=True, slots=True)
class GeneratedInvoice:
    pdf: bytes
    language: str
    number: str
    issue_date: date
    total: Decimal
    currency: str
    seller: str


def generate(seed: int) -> GeneratedInvoice:
    rng = random.Random(seed)
    lang = rng.choice(["fr", "de", "en"])
    labels = LABELS[lang]
    currency = "EUR" if lang != "en" else rng.choice(["EUR", "GBP", "USD"])
    seller = rng.choice(SELLERS[lang])
    number = _number(rng)
    issued = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
    due = issued + timedelta(days=rng.choice([14, 30, 45]))
    items = [
        (rng.choice(ITEMS), rng.randint(1, 12), Decimal(rng.randint(100, 250_000)) / 100)
        for _ in range(rng.choice([1, 3, 6, 12, 40]))
    ]
    net = sum((qty * price for _, qty, price in items), Decimal("0.00"))
    vat = (net * VAT_RATE).quantize(Decimal("0.01"))
    total = net + vat

    # One amount style per invoice, as one invoicing tool prints it.
    grouping, template = rng.choice([" ", NBSP, "", ".", ","]), rng.randrange(3)

    def money(amount: Decimal) -> str:
        return _money(amount, lang, currency, grouping, template)

    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    meta = [
        rng.choice(labels["number"]) + number,
        rng.choice(labels["date"]) + _date(issued, lang, rng),
        rng.choice(labels["due"]) + _date(due, lang, rng),
    ]
    rng.shuffle(meta)
    meta_first = rng.random() < 0.3
    _line(pdf, seller, bold=True)
    _line(
        pdf,
        f"12 rue de l'Exemple, 7500{rng.randint(1, 9)} Paris"
        if lang == "fr"
        else "Hauptstraße 5, 10115 Berlin"
        if lang == "de"
        else "1 High Street, London",
    )
    pdf.ln(4)
    if meta_first:
        _meta(pdf, meta, rng)
    _line(pdf, rng.choice(labels["title"]), bold=True, size=16)
    if not meta_first:
        _meta(pdf, meta, rng)
    pdf.ln(4)
    _table(pdf, labels, items, money)
    pdf.ln(2)
    for label, amount in (
        (rng.choice(labels["subtotal"]), net),
        (rng.choice(labels["vat"]), vat),
        (rng.choice(labels["total"]), total),
    ):
        _total_row(pdf, label, money(amount), rng)
    pdf.ln(6)
    _line(
        pdf,
        f"IBAN FR76 3000 6000 0112 3456 7890 189 - {rng.choice(labels['due'])}{_date(due, lang, rng)}",
        size=8,
    )
    return GeneratedInvoice(bytes(pdf.output()), lang, number, issued, total, currency, seller)


def _number(rng: random.Random) -> str:
    n = rng.randint(1, 99999)
    year = rng.choice([2023, 2024])
    return rng.choice(
        [
            f"FA-{year}-{n:04d}",
            f"{year}/{n:05d}",
            f"RE-{n:06d}",
            f"INV-{n:06d}",
            f"F{year}{n:04d}",
            f"{n + 10000}",
        ]
    )


def _date(value: date, lang: str, rng: random.Random) -> str:
    month = MONTHS[lang].split()[value.month - 1]
    choices = {
        "fr": [f"{value:%d/%m/%Y}", f"{value.day} {month} {value.year}", f"{value:%d.%m.%Y}"],
        "de": [f"{value:%d.%m.%Y}", f"{value.day}. {month} {value.year}", f"{value:%Y-%m-%d}"],
        "en": [
            f"{month} {value.day}, {value.year}",
            f"{value.day} {month} {value.year}",
            f"{value:%Y-%m-%d}",
            f"{value:%d/%m/%Y}",
        ],
    }
    return rng.choice(choices[lang])


def _money(amount: Decimal, lang: str, currency: str, grouping: str, template: int) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    sign = {"EUR": "€", "GBP": "£", "USD": "$"}[currency]
    if lang == "fr":  # 1 234,56 € with a space, no-break space or nothing between thousands
        text = f"{int(whole):,}".replace(",", grouping if grouping in " \u00a0" else " ") + ","
        return [f"{text}{cents} {sign}", f"{text}{cents} {currency}", f"{text}{cents}{NBSP}{sign}"][template]
    if lang == "de":
        text = f"{int(whole):,}".replace(",", ".") + "," + cents
        return [f"{text} {sign}", f"{currency} {text}", f"{text} {currency}"][template]
    text = f"{int(whole):,}.{cents}"
    return [f"{sign}{text}", f"{text} {currency}", f"{currency} {text}"][template]


def _line(pdf: FPDF, text: str, *, bold: bool = False, size: int = 10) -> None:
    pdf.set_font("Helvetica", style="B" if bold else "", size=size)
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)


def _meta(pdf: FPDF, meta: list[str], rng: random.Random) -> None:
    indent = rng.choice([0, 100])  # invoice facts on the left or in a right-hand block
    for text in meta:
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, labels: dict, items: list, money) -> None:
    widths = (80, 20, 40, 40)
    _row(pdf, labels["head"], widths)
    running = Decimal("0.00")
    for name, qty, price in items:
        if pdf.will_page_break(6):
            _row(pdf, (labels["carry"], "", "", money(running)), widths)
            pdf.add_page()
            _row(pdf, (labels["carry"], "", "", money(running)), widths)
        running += qty * price
        _row(pdf, (name, str(qty), money(price), money(qty * price)), widths)


def _row(pdf: FPDF, cells, widths) -> None:
    for text, width in zip(cells, widths, strict=True):
        pdf.cell(width, 6, text, align="L" if width == 80 else "R")
    pdf.ln(6)


def _total_row(pdf: FPDF, label: str, amount: str, rng: random.Random) -> None:
    if rng.random() < 0.15:  # label above its amount, as some tools print summary boxes
        pdf.cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, amount, new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_x(pdf.l_margin + 100)
    pdf.cell(40, 6, label)
    pdf.cell(40, 6, amount, align="R", new_x="LMARGIN", new_y="NEXT")
