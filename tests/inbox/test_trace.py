from datetime import UTC, datetime

from inbox.trace import trace_headers
from tests.received import split_trace

WHEN = datetime(2026, 12, 1, 6, 45, tzinfo=UTC)


def trace(**values) -> bytes:
    fields = {
        "mail_from": "billing@supplier.example",
        "helo": "mx.supplier.example",
        "peer_ip": "192.0.2.7",
        "by": "inbox.example.com",
        "protocol": "ESMTPS",
        "transaction_id": "0a1b2c",
        "when": WHEN,
        **values,
    }
    return trace_headers(**fields)


def test_the_trace_is_return_path_and_received_with_the_transaction_and_the_time():
    assert trace() == (
        b"Return-Path: <billing@supplier.example>\r\n"
        b"Received: from mx.supplier.example ([192.0.2.7])\r\n"
        b"\tby inbox.example.com (invoice-inbox) with ESMTPS id 0a1b2c;\r\n"
        b"\tTue, 01 Dec 2026 06:45:00 +0000\r\n"
    )


def test_bounces_ipv6_peers_and_odd_helo_names_still_make_one_well_formed_trace():
    helo = "héllo (x)\r\nX-Evil: 1" + "a" * 500
    raw = trace(mail_from="", helo=helo, peer_ip="2001:db8::1", protocol="SMTP")

    match, rest = split_trace(raw + b"Subject: x\r\n\r\nbody")

    assert (match["sender"], match["ip"], match["protocol"]) == (b"", b"[IPv6:2001:db8::1]", b"SMTP")
    assert match["helo"].startswith(b"h?llo??x???X-Evil:?1a") and len(match["helo"]) == 255
    assert rest == b"Subject: x\r\n\r\nbody"


def test_a_peer_that_is_no_address_is_unknown():
    match, _ = split_trace(trace(peer_ip="/run/inbox.sock", helo=""))

    assert (match["helo"], match["ip"]) == (b"unknown", b"unknown")
