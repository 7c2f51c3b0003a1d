"""Every string the web shows has a French and a German translation in the committed catalogues."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web.i18n import Formats, load_catalogues

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]


def shown_strings() -> set:
    found = extract_from_dir(
        str(ROOT),
        METHODS,
        options_map={"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    )
    return {message for _, _, message, _, _ in found}


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_every_shown_string_is_translated_and_compiled(lang):
    with (ROOT / f"web/locale/{lang}/LC_MESSAGES/messages.po").open("rb") as source:
        po = read_po(source)
    compiled = load_catalogues()[lang]
    strings = shown_strings()

    assert len(strings) > 100
    missing = [s for s in strings if po.get(s) is None or not po.get(s).string]
    assert missing == []
    for message in (po.get(s) for s in strings):  # the committed .mo matches the .po
        if isinstance(message.id, tuple):
            assert compiled.ngettext(*message.id, 2) == message.string[1]
        else:
            assert compiled.gettext(message.id) == message.string


def test_amounts_and_dates_follow_the_language():
    assert Formats("fr").money("1234.50", "EUR") == "1\u202f234,50\xa0€"
    assert Formats("de").money("1234.50", "EUR") == "1.234,50\xa0€"
    assert Formats("en").money("1234.50", "EUR") == "€1,234.50"
    assert Formats("de").day(date(2026, 3, 4)) == "04.03.2026"
    assert Formats("fr").money("12,5", None) == "12,5"  # not a decimal: shown as given
