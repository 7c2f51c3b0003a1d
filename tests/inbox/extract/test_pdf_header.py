"""Where a PDF header may stand: at the start, after blank lines or a binary prefix, never
after text."""

from __future__ import annotations

import pytest

from inbox.extract.sniff import PDF, detect_type


@pytest.mark.parametrize(
    "head",
    [
        b"%PDF-1.7\n",
        b"\r\n  %PDF-1.4\n",
        b"\xef\xbb\xbf%PDF-1.4\n",
        bytes([0, 7, 1]) + b"invoice.pdf" + bytes(100) + b"%PDF-1.4\n",
    ],
)
def test_a_header_at_the_start_is_a_pdf(head: bytes) -> None:
    assert detect_type(head + b"1 0 obj\n") == PDF


@pytest.mark.parametrize(
    ("head", "detected"),
    [
        (b"<!DOCTYPE html><p>%PDF-1.7</p>", "text/html"),
        (b"Here is the start of it: %PDF-1.4\n", "text/plain"),
        (b"<?xml version='1.0'?><a>%PDF-1.4</a>", "application/xml"),
    ],
)
def test_a_header_quoted_in_text_is_not_a_pdf(head: bytes, detected: str) -> None:
    assert detect_type(head) == detected
