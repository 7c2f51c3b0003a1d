"""Settings: every one is a command-line flag and an INBOX_* environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path

from storage.blobs import S3_TIMEOUT_SECONDS

ROLES = ("smtp", "worker", "web")


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the key and the value."""


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str | None = None
    blob_url: str | None = None  # file:///path; default DATA_DIR/blobs
    host: str = "127.0.0.1"
    smtp_port: int = 2525
    web_port: int = 8000
    mail_domain: str = "inbox.localhost"
    max_message_bytes: int = 25 * 1024 * 1024
    max_recipients: int = 50
    workers: int = 2  # extraction processes
    parse_timeout: float = 60.0  # seconds per mail
    parse_memory_mb: int = 1024  # address-space bound of an extraction process
    secure_cookies: bool = False  # set when the web is served over HTTPS
    roles: str = ",".join(ROLES)  # what this process runs (inbox serve --roles)
    # How long a worker's claim on a mail lasts; None: 2 × parse_timeout + 30 s. A claim of a
    # worker whose machine died is taken over when it runs out.
    claim_lease: float | None = None
    s3_endpoint_url: str | None = None  # an S3-compatible server; None: AWS S3
    s3_timeout: float = S3_TIMEOUT_SECONDS  # seconds to connect to S3, and to wait for each read

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict = {}
        for f in fields(cls):
            raw = overrides.get(f.name)
            if raw is None:
                raw = environ.get(f"INBOX_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _cast(f.name, str(f.type), raw)  # annotations are strings here
        return cls(**values)._validated()

    def _validated(self) -> Settings:
        for name in ("smtp_port", "web_port"):
            port = getattr(self, name)
            if not 0 <= port <= 65535:
                raise ConfigError(f"INBOX_{name.upper()}: {port} is not a TCP port")
        for name in ("max_message_bytes", "max_recipients", "workers", "parse_memory_mb"):
            if getattr(self, name) < 1:
                raise ConfigError(f"INBOX_{name.upper()}: must be at least 1, got {getattr(self, name)}")
        if self.parse_timeout <= 0:
            raise ConfigError(f"INBOX_PARSE_TIMEOUT: must be positive, got {self.parse_timeout}")
        unknown = set(self.role_set) - set(ROLES)
        if unknown or not self.role_set:
            raise ConfigError(f"INBOX_ROLES: {self.roles!r} is not a list of roles from {', '.join(ROLES)}")
        if self.claim_lease is not None and self.claim_lease <= self.parse_timeout:
            raise ConfigError(
                f"INBOX_CLAIM_LEASE: {self.claim_lease} s must be longer than INBOX_PARSE_TIMEOUT "
                f"({self.parse_timeout} s), or a mail still in hand could be taken by another worker"
            )
        if self.s3_timeout <= 0:
            raise ConfigError(f"INBOX_S3_TIMEOUT: must be positive, got {self.s3_timeout}")
        if "@" in self.mail_domain or not self.mail_domain.strip("."):
            raise ConfigError(f"INBOX_MAIL_DOMAIN: {self.mail_domain!r} is not a domain")
        return self

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(role.strip() for role in self.roles.split(",") if role.strip())

    @property
    def lease(self) -> timedelta:
        """The claim lease: outlasts the extraction timeout, so a live worker keeps its mails."""
        seconds = self.claim_lease if self.claim_lease is not None else self.parse_timeout * 2 + 30
        return timedelta(seconds=seconds)

    def inbox_address(self, local: str) -> str:
        return f"{local}@{self.mail_domain}"


def _cast(name: str, kind: str, raw: object):
    if not isinstance(raw, str):
        return raw
    kind = kind.removesuffix(" | None")
    try:
        if kind == "Path":
            return Path(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError as err:
        raise ConfigError(f"INBOX_{name.upper()}: {raw!r} is not a valid {kind}") from err
    return raw
