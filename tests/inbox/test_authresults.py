"""SPF, DKIM and DMARC against a DNS server of the test's own on loopback (tests/authmail.py)."""

from __future__ import annotations

import asyncio
import time

import pytest
from authheaders import dmarc_lookup
from publicsuffix2 import PublicSuffixList

from inbox import authresults
from inbox.authresults import UNCHECKED, Authenticator, AuthResults, configure_resolver
from inbox.config import ConfigError
from inbox.config import parse_dns_servers as parse_servers
from tests.authmail import mail, signed, zone
from tests.dnsserver import dns_server, refusing_dns_server, silent_dns_server


@pytest.fixture
def check(tmp_path):
    """check(raw, mail_from, ip="127.0.0.1") -> AuthResults, asked of the zone above."""
    with dns_server(zone()) as port:
        configure_resolver(parse_servers(f"127.0.0.1:{port}"), timeout=2)
        authenticator = Authenticator(timeout=2)

        def run(raw: bytes, mail_from: str, ip: str = "127.0.0.1") -> AuthResults:
            (tmp_path / "mail.eml").write_bytes(raw)
            return asyncio.run(
                authenticator(tmp_path / "mail.eml", ip=ip, helo="mx.supplier-gmbh.de", mail_from=mail_from)
            )

        yield run
        authenticator.close()


def test_a_signed_mail_from_an_authorised_server_passes_all_three(check):
    results = check(signed(mail()), "billing@supplier-gmbh.de")

    assert results.as_dict() == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    assert results.passes_dmarc_for("supplier-gmbh.de")
    assert results.dkim_domain == "supplier-gmbh.de"


def test_a_body_changed_after_signing_fails_dkim(check):
    raw = signed(mail()).replace(b"Invoice attached.", b"Pay to IBAN XX00.")

    results = check(raw, "billing@supplier-gmbh.de", ip="192.0.2.99")

    assert (results.spf, results.dkim, results.dmarc) == ("fail", "fail", "fail")


def test_a_forged_header_from_fails_dmarc_even_when_the_envelope_passes_spf(check):
    results = check(mail(sender="ceo@a-bank.de"), "bounce@relay-service.net")

    assert (results.spf, results.dkim, results.dmarc) == ("pass", "none", "fail")
    assert (results.header_from, results.header_from_address) == ("a-bank.de", "ceo@a-bank.de")
    assert not results.passes_dmarc_for("a-bank.de")


def test_a_subdomain_without_a_record_of_its_own_is_judged_by_its_organisations(check):
    """RFC 7489 6.6.3: no _dmarc at the From domain, so the organisational domain's record
    applies (p=reject at supplier-gmbh.de): SPF passes for the parent, relaxed alignment."""
    passing = check(mail(sender="billing@mail.supplier-gmbh.de"), "billing@supplier-gmbh.de")
    forged = check(mail(sender="ceo@mail.a-bank.de"), "bounce@relay-service.net")

    assert (passing.header_from, passing.dmarc) == ("mail.supplier-gmbh.de", "pass")
    assert (forged.header_from, forged.dmarc) == ("mail.a-bank.de", "fail")


def test_a_domain_without_records_is_none_everywhere(check):
    results = check(mail(sender="a@nowhere-at-all.de"), "a@nowhere-at-all.de")

    assert results.as_dict() == {"spf": "none", "dkim": "none", "dmarc": "none"}


def test_a_dns_server_that_never_answers_gives_temperror_in_time_and_the_loop_runs_on(tmp_path):
    (tmp_path / "mail.eml").write_bytes(signed(mail()))
    with silent_dns_server() as port:
        configure_resolver(parse_servers(f"127.0.0.1:{port}"), timeout=0.5)
        authenticator = Authenticator(timeout=0.5)

        async def check_while_ticking() -> tuple[AuthResults, int]:
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.05)
                    ticks += 1

            ticker = asyncio.create_task(tick())
            results = await authenticator(
                tmp_path / "mail.eml", ip="127.0.0.1", helo="h", mail_from="b@supplier-gmbh.de"
            )
            ticker.cancel()
            return results, ticks

        began = time.monotonic()
        results, ticks = asyncio.run(check_while_ticking())
        took = time.monotonic() - began
        authenticator.close()

    assert "temperror" in (results.spf, results.dkim, results.dmarc) or results == UNCHECKED
    assert took < 2
    assert ticks >= took / 0.05 * 0.5  # the loop was never blocked for long


@pytest.mark.parametrize(
    ("value", "servers"),
    [
        ("", []),
        ("127.0.0.1", [("127.0.0.1", 53)]),
        ("127.0.0.1:5353, [::1]:53", [("127.0.0.1", 5353), ("::1", 53)]),
    ],
)
def test_dns_servers_are_host_and_optional_port(value, servers):
    assert parse_servers(value) == servers


@pytest.mark.parametrize("value", ["127.0.0.1:0", "127.0.0.1:99999", "::1:53"])
def test_bad_dns_servers_name_the_setting(value):
    with pytest.raises(ConfigError, match="INBOX_DNS_SERVERS"):
        parse_servers(value)


def test_a_dns_outage_is_temperror_for_all_three_never_a_failure(tmp_path):
    (tmp_path / "mail.eml").write_bytes(signed(mail()))
    with refusing_dns_server() as port:
        configure_resolver(parse_servers(f"127.0.0.1:{port}"), timeout=1)
        authenticator = Authenticator(timeout=1)
        results = asyncio.run(
            authenticator(tmp_path / "mail.eml", ip="127.0.0.1", helo="h", mail_from="b@supplier-gmbh.de")
        )
        authenticator.close()

    assert results.as_dict() == {"spf": "temperror", "dkim": "temperror", "dmarc": "temperror"}


def test_the_public_suffix_list_is_read_once_for_many_mails_from_a_domain_without_dmarc(check, monkeypatch):
    """Reading it took ~40 ms of CPU, on every mail whose domain publishes no DMARC record
    (authheaders' own organisational-domain lookup reads it each time: never called)."""
    parsed: list[object] = []
    monkeypatch.setattr(
        authresults, "PublicSuffixList", lambda lines: parsed.append(lines) or PublicSuffixList(lines)
    )
    monkeypatch.setattr(dmarc_lookup, "get_org_domain", lambda domain: pytest.fail("read the list again"))
    authresults._suffix_list.cache_clear()
    authresults._org_domain.cache_clear()

    for n in range(3):
        sender = f"a@nowhere-{n}.de"
        assert check(mail(sender=sender), sender).dmarc == "none"

    assert len(parsed) == 1


def test_the_public_suffix_list_is_parsed_before_the_first_mail(monkeypatch):
    parsed: list[object] = []
    monkeypatch.setattr(
        authresults, "PublicSuffixList", lambda lines: parsed.append(lines) or PublicSuffixList(lines)
    )
    authresults._suffix_list.cache_clear()
    authenticator = Authenticator(timeout=1)

    asyncio.run(authenticator.prepare())
    authenticator.close()

    assert len(parsed) == 1
    assert authresults._suffix_list.cache_info().currsize == 1


def test_the_checks_read_an_unsigned_mail_up_to_its_header_section_only(tmp_path):
    big = mail() + b"A" * 2_000_000
    (tmp_path / "unsigned.eml").write_bytes(big)
    signed_mail = signed(mail())
    (tmp_path / "signed.eml").write_bytes(signed_mail)

    header = authresults.read_for_checks(tmp_path / "unsigned.eml")

    assert header == big[: big.index(b"\r\n\r\n") + 4]
    assert authresults.read_for_checks(tmp_path / "signed.eml") == signed_mail  # DKIM hashes the body


def test_a_blank_line_across_two_reads_still_ends_the_header_section(tmp_path):
    line = b"X-Filler: " + b"f" * 60 + b"\r\n"
    head = line * (authresults.HEADER_CHUNK // len(line))
    head = head[: authresults.HEADER_CHUNK - 2]  # "\r\n\r\n" starts 2 bytes before the chunk's end
    head = head[: head.rindex(b"\r\n") + 2] + b"Y" * (authresults.HEADER_CHUNK - 2 - head.rindex(b"\r\n") - 2)
    raw = head + b"\r\n\r\nbody " * 1000
    assert raw.index(b"\r\n\r\n") == authresults.HEADER_CHUNK - 2
    (tmp_path / "mail.eml").write_bytes(raw)

    assert authresults.read_for_checks(tmp_path / "mail.eml") == raw[: authresults.HEADER_CHUNK + 2]


def test_dns_answers_are_kept_for_their_ttl_so_a_supplier_s_next_mail_asks_nothing(tmp_path):
    (tmp_path / "mail.eml").write_bytes(signed(mail()))
    authenticator = Authenticator(timeout=1)

    def check() -> AuthResults:
        path, sender = tmp_path / "mail.eml", "billing@supplier-gmbh.de"
        return asyncio.run(authenticator(path, ip="127.0.0.1", helo="mx", mail_from=sender))

    try:
        with dns_server(zone()) as port:
            configure_resolver(parse_servers(f"127.0.0.1:{port}"), timeout=1)
            assert check().as_dict() == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
        # The server is gone; its answers (TTL 60 s) are not.
        assert check().as_dict() == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    finally:
        authenticator.close()
