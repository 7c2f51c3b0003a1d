"""DataDecoder on chunk boundaries that sockets rarely produce; the rules themselves are
proven against stock aiosmtpd in test_spool.py."""

from __future__ import annotations

from inbox.datastream import DataDecoder, DataOutcome


def decode(*chunks: bytes, size_limit: int | None = None) -> tuple[bytes, DataDecoder]:
    decoder = DataDecoder(size_limit=size_limit, line_limit=1001)
    out = b"".join(decoder.feed(chunk) for chunk in chunks)
    return out, decoder


def test_crlf_split_across_chunks_still_ends_a_line() -> None:
    out, decoder = decode(b"a\r", b"\n..b\r", b"\n.", b"\r\n")
    assert (out, decoder.done, decoder.outcome) == (b"a\r\n.b\r\n", True, DataOutcome.NOMINAL)


def test_a_long_line_ending_in_a_dot_is_not_the_end_of_data() -> None:
    out, decoder = decode(b"x" * 3000 + b".", b"", b"\r\n")
    assert not decoder.done
    assert decoder.outcome is DataOutcome.TOO_LONG
    decoder.feed(b".\r\n")
    assert decoder.done


def test_a_long_line_stays_long_across_small_chunks() -> None:
    _, decoder = decode(b"x" * 1500, b"y", b"z\r\n", b".\r\n")
    assert (decoder.done, decoder.outcome) == (True, DataOutcome.TOO_LONG)


def test_size_counts_stuffing_dots_but_not_the_end_line() -> None:
    _, fits = decode(b"..ab\r\n.\r\n", size_limit=6)
    _, too_much = decode(b"..ab\r\n.\r\n", size_limit=5)
    assert (fits.outcome, too_much.outcome) == (DataOutcome.NOMINAL, DataOutcome.TOO_MUCH)
