"""STARTTLS: the server's TLS context, built from the configured files and re-read on SIGHUP.

New sessions take the context current when they connect; sessions already in TLS keep
theirs. A renewed certificate is picked up by `reload()` without dropping a connection,
and a broken renewal (a key that does not match, a half-written file) keeps the old one.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

from inbox.config import ConfigError

log = logging.getLogger("inbox.tls")


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """TLS 1.2 or newer with Python's default ciphers; clients are not asked for certificates."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class Certificates:
    """The current server context for STARTTLS."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.cert = cert
        self.key = key
        try:
            self.context = server_context(cert, key)
        except (OSError, ssl.SSLError) as err:
            raise ConfigError(
                f"INBOX_TLS_CERT/INBOX_TLS_KEY: cannot load {str(cert)!r} with {str(key)!r}: {err}"
            ) from err

    def reload(self) -> bool:
        """Read the files again; on failure keep serving the previous certificate."""
        try:
            self.context = server_context(self.cert, self.key)
        except (OSError, ssl.SSLError) as err:
            log.error("TLS certificate not reloaded, keeping the previous one: %s", err)
            return False
        log.info("TLS certificate reloaded from %s", self.cert)
        return True
