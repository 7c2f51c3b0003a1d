"""The trace an MX puts in front of every mail it takes (RFC 5321 4.4): Return-Path, since we
are the final delivery, and Received. Its `for` clause is left out: one stored mail can be for
several accounts, and an inbox address is a credential."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from email.utils import format_datetime

# What a HELO name may keep in a comment-free header: letters, digits and the punctuation of
# host names and address literals; anything else (spaces, parentheses, non-ASCII) becomes "?".
_NOT_HOSTNAME = re.compile(r"[^A-Za-z0-9.\-_:\[\]]")
MAX_HELO = 255


def trace_headers(
    *,
    mail_from: str,
    helo: str,
    peer_ip: str,
    by: str,
    protocol: str,
    transaction_id: str,
    when: datetime | None = None,
) -> bytes:
    """`protocol` is SMTP, ESMTP or ESMTPS (RFC 3848). Values from the client are bounded and
    cleaned, so they can never end the header or start another."""
    claimed = _NOT_HOSTNAME.sub("?", helo[:MAX_HELO]) or "unknown"
    stamp = format_datetime((when or datetime.now(UTC)).astimezone(UTC))
    lines = (
        f"Return-Path: <{mail_from}>",
        f"Received: from {claimed} ({_address_literal(peer_ip)})",
        f"\tby {by} (invoice-inbox) with {protocol} id {transaction_id};",
        f"\t{stamp}",
    )
    return "".join(line + "\r\n" for line in lines).encode()


def _address_literal(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    return f"[IPv6:{address}]" if address.version == 6 else f"[{address}]"
