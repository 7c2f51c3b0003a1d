"""The login rules' arithmetic, and which address a request comes from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.requests import Request

from web.clientip import client_address, parse_networks
from web.loginlimits import MAX_BACKOFF, RULES, retry_after

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_a_window_rule_waits_until_enough_attempts_leave_the_window():
    rule = RULES["ipaccount"]
    assert retry_after(rule, [ago(60)] * (rule.allowed - 1), NOW) == 0
    full = [ago(600), *[ago(10)] * (rule.allowed - 1)]
    assert retry_after(rule, full, NOW) == rule.window.total_seconds() - 600


def test_the_account_rule_is_a_doubling_delay_never_a_lock():
    rule = RULES["account"]
    failures = [ago(100)] * rule.allowed
    assert retry_after(rule, failures, NOW) == 0  # the delay after the 10th (1 s) has passed
    assert retry_after(rule, [*failures[:-1], ago(0.5)], NOW) == 1
    assert retry_after(rule, [*failures, ago(0)] + [ago(0)] * 3, NOW) == 16
    assert retry_after(rule, [ago(0)] * 200, NOW) == MAX_BACKOFF.total_seconds()


def request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a proxy of ours: the header is ignored
        ("10.0.0.2", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.2", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client's own entries come first
        ("10.0.0.2", "1.2.3.4, 10.0.0.7", "1.2.3.4"),  # a chain of our proxies
        ("10.0.0.2", None, "10.0.0.2"),
        ("::1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_forwarded_for_only_from_trusted_proxies(peer, forwarded, expected):
    trusted = parse_networks("10.0.0.0/8, ::1")
    assert client_address(request(peer, forwarded), trusted) == expected


def test_a_bad_network_is_named():
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        parse_networks("10.0.0.1, 10.0.0.300")
