"""A DNS server of the tests' own on loopback (dnslib), serving a zone written in the test."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import RCODE
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dns_server(zone: str):
    """Serve `zone` (master-file text) over UDP on 127.0.0.1; yields the port."""
    return _serving(ZoneResolver(zone))


@contextmanager
def _serving(resolver) -> Iterator[int]:
    port = free_udp_port()
    server = DNSServer(resolver, port=port, address="127.0.0.1", logger=quiet())
    server.start_thread()
    try:
        yield port
    finally:
        server.stop()
        server.server.server_close()


@contextmanager
def silent_dns_server() -> Iterator[int]:
    """A UDP port that takes queries and never answers: a DNS server that times out."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


class _Quiet:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def quiet() -> _Quiet:
    """A dnslib logger that logs nothing."""
    return _Quiet()


def dkim_key() -> tuple[bytes, str]:
    """A private key (PEM) and the TXT value that publishes its public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode()


def txt(value: str) -> str:
    """A TXT record's data as quoted strings of at most 255 characters."""
    return " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))


def refusing_dns_server():
    """A DNS server that answers every query with SERVFAIL: DNS is down, not the record."""
    return _serving(_Failing())


class _Failing:
    def resolve(self, request, handler):
        reply = request.reply()
        reply.header.rcode = RCODE.SERVFAIL
        return reply
