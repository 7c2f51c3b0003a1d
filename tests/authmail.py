"""Mails and a DNS zone for SPF, DKIM and DMARC tests.

The domains are under real top-level domains, and hyphenated: DMARC's organisational domain
comes from the public suffix list, which knows no `.example` (under it, every domain would
align), and hyphens are where one library's address parsing went wrong. The zone is only
ever served by the tests' own DNS server on loopback.
"""

from __future__ import annotations

from functools import cache

import dkim

from tests.dnsserver import dkim_key, txt


@cache
def signing_key() -> tuple[bytes, str]:
    """One DKIM key for the test run: the private key and its DNS record."""
    return dkim_key()


def zone() -> str:
    return f"""
supplier-gmbh.de.        60 IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.supplier-gmbh.de. 60 IN TXT "v=DMARC1; p=reject"
mail._domainkey.supplier-gmbh.de. 60 IN TXT {txt(signing_key()[1])}
a-bank.de.            60 IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.a-bank.de.     60 IN TXT "v=DMARC1; p=reject"
relay-service.net.           60 IN TXT "v=spf1 ip4:127.0.0.1 -all"
"""


def mail(sender: str = "billing@supplier-gmbh.de", body: bytes = b"Invoice attached.\r\n") -> bytes:
    return (
        f"From: Billing <{sender}>\r\nTo: inbox@inbox.localhost\r\nSubject: Invoice 7\r\n"
        "Message-ID: <7@supplier-gmbh.de>\r\n\r\n"
    ).encode() + body


def signed(raw: bytes) -> bytes:
    signature = dkim.sign(
        raw, b"mail", b"supplier-gmbh.de", signing_key()[0], include_headers=[b"from", b"subject"]
    )
    return signature + raw
