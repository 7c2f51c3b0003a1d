"""Decode an SMTP DATA stream chunk by chunk, by exactly the rules of aiosmtpd 1.4.6.

aiosmtpd reads DATA line by line (`StreamReader.readuntil(b"\\r\\n")`, limit
`line_length_limit`). That gives these rules, which this decoder keeps while working on
large chunks:

- Only CRLF ends a line; a bare CR or LF is data. Only a line that is exactly ``.`` CRLF
  ends DATA (SMTP-smuggling protection since 1.4.5): ``\\n.\\n``, ``\\r.\\r`` and
  ``\\r\\n.\\n`` are data.
- A line starting with ``.`` loses that dot (RFC 5321 4.5.2).
- A line whose text (before CRLF) exceeds `line_limit` overruns the reader: the message
  becomes TOO_LONG before the line's bytes are counted. A shorter line whose length with
  CRLF exceeds `line_limit` becomes TOO_LONG only after its bytes are counted, so the
  size limit may win for it.
- The size limit counts the bytes as sent (CRLFs and stuffing dots, not the final
  ``.`` CRLF); the first line that takes the count over it makes the message TOO_MUCH.
- The first of TOO_LONG / TOO_MUCH sticks; the rest of DATA is read and discarded.
"""

from __future__ import annotations

import enum

CRLF = b"\r\n"
END_LINE = b"."  # the text of the line that ends DATA


class DataOutcome(enum.Enum):
    NOMINAL = "nominal"
    TOO_LONG = "too long"
    TOO_MUCH = "too much"


class DataDecoder:
    """Feed raw DATA bytes; get back the message bytes (dot-unstuffed) to store.

    Chunks must end at or before the end-of-data line (read with
    `readuntil(b".\\r\\n")`); once `done` is true, DATA is over.
    Once `outcome` is not NOMINAL, nothing more is returned: the message is refused.
    """

    def __init__(self, *, size_limit: int | None, line_limit: int) -> None:
        self.outcome = DataOutcome.NOMINAL
        self.done = False
        self._size_limit = size_limit or None  # aiosmtpd: 0 or None means no limit
        self._line_limit = line_limit
        self._counted = 0  # bytes of complete lines, as aiosmtpd counts them
        self._head = b""  # the unfinished line, kept while it is short enough to matter
        self._head_is_long = False  # its text already overran the limit; only its last byte is kept

    def feed(self, chunk: bytes) -> bytes:
        data = self._head + chunk
        lines = data.split(CRLF)
        rest = lines.pop()
        still_long = self._head_is_long and not lines  # no CRLF yet: the same long line goes on
        end = self._end_index(lines)
        if end is not None:
            assert end == len(lines) - 1 and not rest, "chunk runs past the end of DATA"
            del lines[end]
            self.done = True
        out = self._take(lines, data[: len(data) - len(rest) - (3 if self.done else 0)])
        self._keep_head(rest, still_long)
        return out

    def _end_index(self, lines: list[bytes]) -> int | None:
        # A long head shrank to its last byte; that line is not the end line even if it looks so.
        start = 1 if self._head_is_long else 0
        try:
            return lines.index(END_LINE, start)
        except ValueError:
            return None

    def _take(self, lines: list[bytes], raw: bytes) -> bytes:
        if self.outcome is not DataOutcome.NOMINAL or not lines:
            return b""
        longest = max(map(len, lines))
        counted = self._counted + len(raw)
        within_size = self._size_limit is None or counted <= self._size_limit
        if longest + 2 <= self._line_limit and within_size:
            self._counted = counted
            return _unstuff(raw)
        self._judge_line_by_line(lines)
        return b""

    def _judge_line_by_line(self, lines: list[bytes]) -> None:
        """The slow path, for a chunk in which some line breaks a limit: find which one first."""
        for line in lines:
            if len(line) > self._line_limit:  # overruns the reader before it is counted
                self.outcome = DataOutcome.TOO_LONG
                return
            self._counted += len(line) + 2
            if self._size_limit is not None and self._counted > self._size_limit:
                self.outcome = DataOutcome.TOO_MUCH
                return
            if len(line) + 2 > self._line_limit:
                self.outcome = DataOutcome.TOO_LONG
                return

    def _keep_head(self, rest: bytes, still_long: bool) -> None:
        # The text of `rest` is at least len(rest) - 1 bytes (a final CR may start the CRLF).
        self._head_is_long = still_long or len(rest) - 1 > self._line_limit
        if self._head_is_long:
            if self.outcome is DataOutcome.NOMINAL:
                self.outcome = DataOutcome.TOO_LONG
            rest = rest[-1:]  # enough to see a CRLF that straddles chunks; keeps memory flat
        self._head = rest


def _unstuff(raw: bytes) -> bytes:
    """Drop the leading dot of every line in `raw`, which starts at a line start."""
    if raw.startswith(b"."):
        raw = raw[1:]
    return raw.replace(b"\r\n.", CRLF)
