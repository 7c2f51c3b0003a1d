"""Decode an SMTP DATA stream chunk by chunk, the way Postfix does with
`smtpd_forbid_bare_newline = normalize`.

- DATA ends only at ``<CR><LF>.<CR><LF>`` (or ``.<CR><LF>`` as its first line). The
  SMTP-smuggling variants ``\\n.\\n``, ``\\r.\\r``, ``\\r\\n.\\n`` and ``\\n.\\r\\n`` are data.
- A bare LF ends a line too (most `.eml` files on disk end lines that way, and some
  sending libraries put them on the wire as they are): it is stored as CRLF. A bare CR
  is data and stored as it came.
- Every line starting with ``.`` loses that dot (RFC 5321 4.5.2), whichever way the line
  before it ended.
- Lines have no length limit: a line over 998 octets (PHP's unwrapped base64, say) is
  stored as received. Memory stays bounded anyway: at most two bytes are held back
  between chunks. Command lines keep aiosmtpd's limit.
- The size limit counts the bytes as sent (line ends and stuffing dots, not the final
  ``.`` CRLF); a message over it is TOO_MUCH, and the rest of DATA is read and discarded.
"""

from __future__ import annotations

import enum

END_OF_DATA = b"\r\n.\r\n"


class DataOutcome(enum.Enum):
    NOMINAL = "nominal"
    TOO_MUCH = "too much"


class DataDecoder:
    """Feed raw DATA bytes; get back the message bytes (line ends normalised, dot-unstuffed).

    Chunks must end at or before the end of DATA (read with `readuntil(b".\\r\\n")`); once
    `done` is true, DATA is over. Once `outcome` is TOO_MUCH, nothing more is returned.
    """

    def __init__(self, *, size_limit: int | None) -> None:
        self.outcome = DataOutcome.NOMINAL
        self.done = False
        self._size_limit = size_limit or None  # aiosmtpd: 0 or None means no limit
        self._counted = 0
        self._pending = b""  # a tail that the next chunk decides (see _undecided_tail)
        self._before = b"\r\n"  # the last two bytes taken; DATA starts as if after a CRLF
        self._at_line_start = True

    def feed(self, chunk: bytes) -> bytes:
        data = self._pending + chunk
        window = self._before + data
        if window.endswith(END_OF_DATA):
            self.done = True
            self._pending, data = b"", data[: -len(b".\r\n")]
        else:
            hold = min(_undecided_tail(window), len(data))
            self._pending, data = data[len(data) - hold :], data[: len(data) - hold]
        if not data:
            return b""
        self._before = (self._before + data)[-2:]
        self._counted += len(data)
        if self._size_limit is not None and self._counted > self._size_limit:
            self.outcome = DataOutcome.TOO_MUCH
        if self.outcome is not DataOutcome.NOMINAL:
            return b""
        return self._decode(data)

    def _decode(self, data: bytes) -> bytes:
        # A trailing CR is always held back, so an LF at the start of `data` is a bare one.
        if data.count(b"\n") != data.count(b"\r\n"):  # two quick scans spare the usual case a copy
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if self._at_line_start and data.startswith(b"."):
            data = data[1:]
        self._at_line_start = data.endswith(b"\n") if data else False
        # Base64 has no dots: most of an invoice mail is spared the two-byte search.
        return data.replace(b"\n.", b"\n") if b"." in data else data


def _undecided_tail(window: bytes) -> int:
    """How many bytes at the end of `window` the next chunk decides: a CR (is an LF next?),
    and a dot at the start of a line after CRLF (is it the end of DATA?)."""
    if window.endswith(b"\r\n.\r"):
        return 2
    if window.endswith((b"\r\n.", b"\r")):
        return 1
    return 0
