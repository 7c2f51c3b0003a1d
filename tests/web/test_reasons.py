"""Reasons the pipeline records in English are shown in the reader's language, wrapped ones too."""

from __future__ import annotations

import pytest

from web.i18n import load_catalogues
from web.labels import REASONS, reasoner

CATALOGUES = load_catalogues()


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_every_listed_reason_has_a_translation(lang: str):
    gettext = CATALOGUES[lang].gettext
    untranslated = [template for _, template in REASONS if gettext(template) == template]
    assert untranslated == []


def test_a_wrapped_reason_is_translated_inside_and_out():
    reason = reasoner(CATALOGUES["fr"].gettext)

    shown = reason(
        "gave up after 5 days of retries: will try again: extraction process died (memory bound or crash)"
    )

    assert shown == (
        "abandonné après 5 jours d'essais : nouvel essai prévu : "
        "le processus de lecture s'est arrêté (limite de mémoire ou plantage)"
    )


def test_values_from_the_mail_stay_as_recorded():
    reason = reasoner(CATALOGUES["de"].gettext)

    assert reason("unsupported type application/x-foo (declared nothing), 12 bytes") == (
        "nicht unterstützter Typ application/x-foo (angegeben: nothing), 12 Bytes"
    )
    assert reason("a parser's own words") == "a parser's own words"


def test_a_processed_mail_with_a_lost_part_reads_as_one_sentence():
    reason = reasoner(CATALOGUES["de"].gettext)

    shown = reason(
        "1 document(s) stored; warning: 2 part(s) could not be read: "
        "slow (too_slow).pdf (too_slow), big.pdf (too_large)"
    )

    assert shown.endswith(
        "; Achtung: 2 Teil(e) konnten nicht gelesen werden: "
        "slow (too_slow).pdf (zu langsam), big.pdf (zu groß)"
    )
    assert "stored" not in shown
