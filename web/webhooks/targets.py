"""Where a hook may point: http(s) URLs whose host resolves to public addresses only.

Loopback, private, link-local (cloud metadata), multicast and reserved addresses are refused
unless INBOX_HOOK_ALLOW_PRIVATE=true. The name is resolved once, here, and the dispatcher
connects to the address that was checked: a second lookup (DNS rebinding) cannot send it
somewhere else.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class TargetRefused(ValueError):
    """The URL cannot be a hook target; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    host: str  # as written in the URL (Host header, TLS name)
    port: int
    address: str  # the checked IP to connect to

    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        address = f"[{self.address}]" if ":" in self.address else self.address
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.scheme}://{address}:{self.port}{path}{query}"

    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable URL; TargetRefused naming the problem otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as err:
        raise TargetRefused(f"target_url is not a valid URL: {err}") from err
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("target_url must be an http or https URL")
    if not parts.hostname:
        raise TargetRefused("target_url has no host")
    if parts.username or parts.password:
        raise TargetRefused("target_url must not carry a user name or password")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(url: str, *, allow_private: bool) -> Target:
    """Check the URL and resolve its host once (blocking: call it off the event loop)."""
    scheme, host, port = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise TargetRefused(f"target_url's host {host} does not resolve") from err
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(f"target_url's host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise TargetRefused(
                    f"target_url's host {host} is a loopback, private or link-local address ({address})"
                )
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, address=addresses[0])
