"""The trace the inbox puts in front of every mail it takes (inbox/trace.py), read back."""

from __future__ import annotations

import re

TRACE = re.compile(
    rb"Return-Path: <(?P<sender>[^>\r\n]*)>\r\n"
    rb"Received: from (?P<helo>\S+) \((?P<ip>\[[^\]\r\n]+\]|unknown)\)\r\n"
    rb"\tby (?P<by>\S+) \(invoice-inbox\) with (?P<protocol>E?SMTPS?) id (?P<id>[0-9a-f]+);\r\n"
    rb"\t(?P<date>[^\r\n]+)\r\n"
)


def split_trace(raw: bytes) -> tuple[re.Match[bytes], bytes]:
    """The trace and the mail as the client sent it."""
    match = TRACE.match(raw)
    assert match, raw[:300]
    return match, raw[match.end() :]
