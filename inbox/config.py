"""Settings: every one is a command-line flag and an INBOX_* environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path


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
    workers: int = 3  # extraction processes
    account_slots: int = 0  # extraction slots one account may hold at once; 0: all but one
    parse_timeout: float = 60.0  # seconds per mail
    parse_memory_mb: int = 1024  # address-space bound of an extraction process
    secure_cookies: bool = False  # set when the web is served over HTTPS
    server_timing: bool = False  # debugging and benchmarks: how long each request took, to anyone

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
        if self.account_slots < 0:
            raise ConfigError(f"INBOX_ACCOUNT_SLOTS: must be 0 (automatic) or more, got {self.account_slots}")
        if self.parse_timeout <= 0:
            raise ConfigError(f"INBOX_PARSE_TIMEOUT: must be positive, got {self.parse_timeout}")
        if "@" in self.mail_domain or not self.mail_domain.strip("."):
            raise ConfigError(f"INBOX_MAIL_DOMAIN: {self.mail_domain!r} is not a domain")
        return self

    @property
    def account_share(self) -> int:
        """One slot always stays for the other accounts: an account's backlog or slow mails
        delay another account's mail by seconds (a slot freeing up), never by minutes."""
        return self.account_slots or max(1, self.workers - 1)

    def inbox_address(self, local: str) -> str:
        return f"{local}@{self.mail_domain}"


def _cast(name: str, kind: str, raw: object):
    if not isinstance(raw, str):
        return raw
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
