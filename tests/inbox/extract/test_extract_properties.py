"""Mutated and truncated mails never make extraction raise, and every part gets a decision."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.extract import extract_mail
from tests.builders import (
    forward,
    make_einvoice_xml,
    make_image,
    make_mail,
    make_pdf,
    make_tnef,
    make_zip,
)
from tests.safety import assert_every_part_decided_and_safely_named


def _seed_mails() -> list[bytes]:
    pdf = make_pdf()
    rich = make_mail(
        attachments=[
            ("Rechnung_Müller_Größe.pdf", pdf, "application/octet-stream"),
            ("x.xml", make_einvoice_xml("cii"), "application/xml"),
            ("b.zip", make_zip([("in.pdf", pdf), ("logo.png", make_image())]), "application/zip"),
            ("winmail.dat", make_tnef([("t.pdf", pdf)]), "application/ms-tnef"),
        ]
    )
    return [rich.as_bytes(), forward(rich).as_bytes()]


SEEDS = _seed_mails()


@st.composite
def mutated_mail(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "truncate":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=40))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 400))]
        elif position < len(data):
            data[position] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_mail())
def test_mutated_mails_never_raise_and_every_part_is_decided(raw):
    assert_every_part_decided_and_safely_named(extract_mail(raw))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw):
    assert_every_part_decided_and_safely_named(extract_mail(raw))


def test_a_charset_name_with_a_nul_byte_is_read_as_utf8():
    """Found by the property above: codecs.lookup raises ValueError, not LookupError, on a NUL."""
    raw = (
        b"From: a@x.example\r\nTo: b@y.example\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="\x00utf-8"\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n'
    )

    extracted = extract_mail(raw)

    assert_every_part_decided_and_safely_named(extracted)
    assert "Grüße" in extracted.text_body
