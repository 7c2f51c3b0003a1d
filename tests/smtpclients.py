"""Raw SMTP clients for limit tests: idle crowds, slow drips, transcripts read to the end."""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager


def connect(port: int, source: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
    sock = socket.socket()
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_line(sock: socket.socket) -> bytes:
    """One reply line (without CRLF); b"" when the server closed the connection."""
    line = b""
    while not line.endswith(b"\r\n"):
        byte = sock.recv(1)
        if not byte:
            return line
        line += byte
    return line[:-2]


def read_to_end(sock: socket.socket) -> list[bytes]:
    """Every line until the server closes; raises socket.timeout if it never does."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data.split(b"\r\n")[:-1] if data.endswith(b"\r\n") else data.split(b"\r\n")


def command(sock: socket.socket, line: str) -> bytes:
    sock.sendall(line.encode() + b"\r\n")
    reply = read_line(sock)
    while reply[3:4] == b"-":  # multi-line (EHLO)
        reply = read_line(sock)
    return reply


def drip(sock: socket.socket, data: bytes, interval: float) -> float:
    """Send one byte every `interval` until the server closes; returns the seconds it took."""
    start = time.monotonic()
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(interval)
    return time.monotonic() - start


@contextmanager
def idle_crowd(port: int, count: int, source: str = "127.0.0.1") -> Iterator[list[socket.socket]]:
    """`count` connections that never say anything, closed on exit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1000), hard))
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            socks.append(connect(port, source))
        yield socks
    finally:
        for sock in socks:
            sock.close()
