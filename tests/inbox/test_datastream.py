"""DataDecoder on chunk boundaries that sockets rarely produce; the rules themselves are
proven over loopback against a line-by-line model in test_spool.py."""

from __future__ import annotations

from inbox.datastream import DataDecoder, DataOutcome


def decode(*chunks: bytes, size_limit: int | None = None) -> tuple[bytes, DataDecoder]:
    decoder = DataDecoder(size_limit=size_limit)
    out = b"".join(decoder.feed(chunk) for chunk in chunks)
    return out, decoder


def test_crlf_split_across_chunks_still_ends_a_line() -> None:
    out, decoder = decode(b"a\r", b"\n..b\r", b"\n.", b"\r\n")
    assert (out, decoder.done, decoder.outcome) == (b"a\r\n.b\r\n", True, DataOutcome.NOMINAL)


def test_a_bare_lf_at_a_chunk_start_is_a_line_end_and_a_dot_after_it_is_unstuffed() -> None:
    out, decoder = decode(b"a", b"\n..b", b"\n", b".c\r\n.\r\n")
    assert (out, decoder.done) == (b"a\r\n.b\r\nc\r\n", True)


def test_a_long_line_ending_in_a_dot_is_not_the_end_of_data() -> None:
    out, decoder = decode(b"x" * 3000 + b".", b"", b"\r\n")
    assert not decoder.done
    assert decoder.outcome is DataOutcome.NOMINAL
    assert out + decoder.feed(b".\r\n") == b"x" * 3000 + b".\r\n"
    assert decoder.done


def test_a_dot_line_after_a_bare_lf_is_not_the_end_of_data() -> None:
    out, decoder = decode(b"a\n.\r\n")
    assert (out, decoder.done) == (b"a\r\n\r\n", False)


def test_size_counts_stuffing_dots_but_not_the_end_line() -> None:
    _, fits = decode(b"..ab\r\n.\r\n", size_limit=6)
    _, too_much = decode(b"..ab\r\n.\r\n", size_limit=5)
    assert (fits.outcome, too_much.outcome) == (DataOutcome.NOMINAL, DataOutcome.TOO_MUCH)
