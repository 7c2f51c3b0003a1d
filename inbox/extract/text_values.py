"""Values as printed on invoices: amounts, dates (digits or words, three languages), numbers."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

SPACE = "[ \u00a0\u202f\u2009]"  # plain, no-break, narrow no-break and thin spaces

CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "EUR": "EUR", "USD": "USD", "GBP": "GBP", "CHF": "CHF"}
CURRENCY = r"(?:€|\$|£|EUR|USD|GBP|CHF)"
AMOUNT = re.compile(
    rf"(?<![\d.,/])(?P<before>{CURRENCY})?{SPACE}?"
    rf"(?P<number>-?{SPACE}?\d{{1,3}}(?:(?:[.,'’]|{SPACE})\d{{3}})*[.,]\d{{2}}|-?\d+[.,]\d{{2}})"
    rf"(?![\d%]|[.,/]\d)"
    rf"(?:{SPACE}?(?P<after>{CURRENCY}))?"
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("janvier", "january", "januar", "jan", "jänner", "janv"),
            ("février", "fevrier", "february", "februar", "feb", "fév", "fev", "févr"),
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
_NUMERIC_DATE = re.compile(r"(?<![\d.,])(\d{1,2})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?![\d,]|\.\d)")
_DATE_PATTERNS = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), "ymd"),
    (_NUMERIC_DATE, "numeric"),
    (
        re.compile(
            rf"(?<!\d)(\d{{1,2}})(?:er|st|nd|rd|th)?\.?\s*(?:de\s+|of\s+)?({_MONTH_NAME})\.?,?\s+(\d{{4}})",
            re.IGNORECASE,
        ),
        "d_name_y",
    ),
    (
        re.compile(
            rf"(?<![a-zà-ÿ])({_MONTH_NAME})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})",
            re.IGNORECASE,
        ),
        "name_d_y",
    ),
)
# An invoice number is one token holding at least one digit.
_NUMBER = re.compile(r"(?=[A-Z0-9\-/_.]*\d)[A-Z0-9][A-Z0-9\-/_.]*", re.IGNORECASE)
_CONTINUED = re.compile(r" ?[-/]\d| \d[\d\-/]*[-/]\d")
_NUMBER_PREFIX = re.compile(r"^(?:[\s:#.\-–—]|n[°º]|no\b\.?|nr\b\.?)*", re.IGNORECASE)


def parse_amount(number: str) -> Decimal:
    sign = "-" if number.startswith("-") else ""
    digits = re.sub(rf"[-.,'’]|{SPACE}", "", number[:-3])
    return Decimal(f"{sign}{digits}.{number[-2:]}")


def amounts(text: str) -> list[tuple[Decimal, str | None]]:
    """Every amount with two decimals in the text, with its currency when printed next to it."""
    found = []
    for match in AMOUNT.finditer(text):
        sign = match.group("before") or match.group("after")
        found.append((parse_amount(match.group("number")), CURRENCY_SIGNS.get(sign) if sign else None))
    return found


def most_common_currency(text: str) -> str | None:
    found = Counter(CURRENCY_SIGNS[s] for s in re.findall(CURRENCY, text))
    return found.most_common(1)[0][0] if found else None


_POINT_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d.,])")
_COMMA_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})*,\d{2}(?![\d.,])")


def day_first(text: str) -> bool | None:
    """Whether numeric dates with slashes read day first (12/03 = 12 March) in this document.

    A date that can only be read one way decides for the whole document; with no such date,
    day first, as in Europe, where amounts are written with a decimal comma. Where they are
    written with a decimal point (English: British day first, American month first) nothing
    decides: None, and a slashed date that reads both ways is left unread.
    """
    for match in _NUMERIC_DATE.finditer(text):
        first, second = int(match.group(1)), int(match.group(3))
        if match.group(2) != "/":
            continue
        if first > 12 >= second:
            return True
        if second > 12 >= first:
            return False
    points = len(_POINT_AMOUNT.findall(text))
    return None if points and points > len(_COMMA_AMOUNT.findall(text)) else True


def parse_date(text: str, *, day_first: bool | None = True) -> tuple[date, int, int] | None:
    """The first date in the text, with where it starts and ends."""
    earliest: tuple[date, int, int] | None = None
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            found = _to_date(match.groups(), order, day_first)
            if found:
                if earliest is None or match.start() < earliest[1]:
                    earliest = (found, match.start(), match.end())
                break
    return earliest


def leading_date(text: str, *, day_first: bool | None = True) -> date | None:
    """A date the text starts with (after separators), or None."""
    found = parse_date(text, day_first=day_first)
    if found is None or text[: found[1]].strip(" :.-\u00a0"):
        return None
    return found[0]


def leading_number(text: str) -> tuple[str, int] | None:
    """An invoice-number token the text starts with (after "#", ":" or "No."), and its end."""
    prefix = _NUMBER_PREFIX.match(text)
    start = prefix.end() if prefix else 0
    if AMOUNT.match(text, start):
        return None  # "235,62": an amount is nobody's invoice number
    match = _NUMBER.match(text, start)
    if match is None:
        return None
    value = match.group().rstrip(".")
    if len(value) < 2 and not value.isdigit():
        return None
    as_date = parse_date(value)
    if (as_date is not None and as_date[1] == 0) or AMOUNT.fullmatch(value):
        return None
    following = _CONTINUED.match(text, match.end())
    if following and parse_date(text[match.end() :]) is None:
        return None  # "FA-201 7-0008": a number split in two (OCR); neither half is the answer
    return value, match.end()


def _to_date(groups: tuple[str, ...], order: str, day_first: bool | None) -> date | None:
    try:
        if order == "ymd":
            year, month, day = (int(g) for g in groups)
        elif order == "numeric":
            first, second, year = int(groups[0]), int(groups[2]), int(groups[3])
            if day_first is None and groups[1] == "/" and first <= 12 and second <= 12 and first != second:
                return None  # reads both ways and nothing on the page says which
            day, month = (first, second) if day_first or groups[1] != "/" else (second, first)
            year += 2000 if year < 100 else 0
        elif order == "d_name_y":
            day, month, year = int(groups[0]), _MONTHS[groups[1].lower()], int(groups[2])
        else:
            month, day, year = _MONTHS[groups[0].lower()], int(groups[1]), int(groups[2])
        if not 1990 <= year <= 2100:
            return None
        return date(year, month, day)
    except (ValueError, KeyError):
        return None
