"""What makes an envelope address unusable before any row is written for it.

aiosmtpd (with SMTPUTF8 on) decodes MAIL and RCPT arguments as UTF-8 with surrogateescape,
so bytes that are not UTF-8 arrive as lone surrogates, which no database can store.
Such an address is refused at the command with a permanent reply: the sender's MTA bounces
it at once, instead of retrying a mail that could never be stored.
"""

from __future__ import annotations


def address_problem(address: str) -> str | None:
    """Why `address` cannot be recorded, or None when it can."""
    if any("\udc80" <= c <= "\udcff" for c in address):
        return "is not valid UTF-8"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in address):
        return "contains control characters"
    return None
