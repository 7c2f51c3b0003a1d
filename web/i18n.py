"""Languages: which one a request gets, its gettext catalogue, dates and amounts in its style."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations
from fastapi import Request

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "inbox_lang"


def N_(message: str) -> str:  # noqa: N802  (the gettext convention: marks a string for extraction)
    return message


def load_catalogues() -> dict[str, NullTranslations]:
    """Compiled catalogues (web/locale/*/LC_MESSAGES/messages.mo, committed) by language."""
    return {lang: Translations.load(str(LOCALE_DIR), [lang], domain="messages") for lang in LANGUAGES}


def request_language(request: Request, saved: str = "") -> str:
    """The language picked with the switch (cookie), else the user's saved one, else the
    browser's preference, else English."""
    for chosen in (request.cookies.get(LANGUAGE_COOKIE, ""), saved):
        if chosen in LANGUAGES:
            return chosen
    wanted = [
        item.split(";")[0].strip().replace("_", "-")
        for item in request.headers.get("accept-language", "").split(",")
        if item.strip()
    ]
    return negotiate_locale(wanted, list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE


class Formats:
    """Dates and amounts for one language; times in the user's time zone, which they name."""

    def __init__(self, lang: str, time_zone: str = "UTC") -> None:
        self.locale = Locale.parse(lang)
        self.zone = zone_of(time_zone)

    def day(self, value: date | None) -> str:
        return format_date(value, "medium", locale=self.locale) if value else ""

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(self.zone)
        day = format_date(local, "medium", locale=self.locale)
        return f"{day} {format_time(local, 'short', tzinfo=self.zone, locale=self.locale)} {local.tzname()}"

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def money(self, amount: Decimal | str | None, currency: str | None) -> str:
        """An exact decimal (or its string) as money; malformed amounts are shown as given."""
        if not isinstance(amount, Decimal | str):  # None, or a field a template found absent
            return ""
        try:
            value = Decimal(amount)
        except InvalidOperation:
            return str(amount)
        if currency and len(currency) == 3 and currency.isalpha():
            return format_currency(value, currency.upper(), locale=self.locale)
        return format_decimal(value, locale=self.locale)


def zone_of(name: str) -> tzinfo:
    """The named IANA time zone; UTC for a name this system does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def time_zones() -> list[str]:
    """The names a user can pick, those of the system's time zone database."""
    return sorted(available_timezones() - {"localtime", "Factory"})
