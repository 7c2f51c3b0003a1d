"""A bare SMTP client over a real socket that sends exactly the bytes it is given.

smtplib encodes commands as ASCII, so it cannot send what a broken or hostile client sends.
"""

from __future__ import annotations

import contextlib
import socket


class Wire:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 30) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._file = self._sock.makefile("rb")
        self.greeting = self.reply()

    def reply(self) -> tuple[int, str]:
        """One reply, multi-line ones joined: (code, text after the code)."""
        lines = []
        while True:
            line = self._file.readline()
            if not line:
                raise ConnectionError("connection closed")
            lines.append(line[4:].decode("utf-8", "replace").rstrip("\r\n"))
            if line[3:4] != b"-":
                return int(line[:3]), "\n".join(lines)

    def command(self, line: bytes) -> tuple[int, str]:
        self._sock.sendall(line + b"\r\n")
        return self.reply()

    def data(self, raw: bytes) -> tuple[int, str]:
        """DATA with `raw` (CRLF line ends, no line starting with a dot): the final reply."""
        code, text = self.command(b"DATA")
        if code != 354:
            return code, text
        self._sock.sendall(raw + b"\r\n.\r\n")
        return self.reply()

    def mail(self, sender: bytes, recipients: list[bytes], raw: bytes) -> tuple[int, str]:
        """One transaction; the first refusal ends it (after RSET) and is returned."""
        for line in [b"MAIL FROM:<" + sender + b">", *(b"RCPT TO:<" + r + b">" for r in recipients)]:
            code, text = self.command(line)
            if code == 421:  # the server is closing the session: nothing more can be said
                return code, text
            if code >= 300:
                self.command(b"RSET")
                return code, text
        return self.data(raw)

    def close(self) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            self.command(b"QUIT")
        self._file.close()
        self._sock.close()

    def __enter__(self) -> Wire:
        self.command(b"EHLO client.example")
        return self

    def __exit__(self, *exc) -> None:
        self.close()
