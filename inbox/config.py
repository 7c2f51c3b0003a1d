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
    workers: int = 2  # extraction processes
    parse_timeout: float = 60.0  # seconds per mail
    parse_memory_mb: int = 1024  # address-space bound of an extraction process
    secure_cookies: bool = False  # set when the web is served over HTTPS
    api_rate_per_minute: int = 120  # requests per token
    hook_timeout: float = 10.0  # seconds a webhook target has to answer
    hook_retry_schedule: str = "5s,5m,30m,2h,5h,10h,10h"  # waits after each failed attempt
    hook_allow_private: bool = False  # let hooks target loopback/private/link-local (tests)

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
        if self.api_rate_per_minute < 1:
            raise ConfigError(
                f"INBOX_API_RATE_PER_MINUTE: must be at least 1, got {self.api_rate_per_minute}"
            )
        if self.hook_timeout <= 0:
            raise ConfigError(f"INBOX_HOOK_TIMEOUT: must be positive, got {self.hook_timeout}")
        self.retry_waits()  # refuses a bad INBOX_HOOK_RETRY_SCHEDULE at start-up
        if self.parse_timeout <= 0:
            raise ConfigError(f"INBOX_PARSE_TIMEOUT: must be positive, got {self.parse_timeout}")
        if "@" in self.mail_domain or not self.mail_domain.strip("."):
            raise ConfigError(f"INBOX_MAIL_DOMAIN: {self.mail_domain!r} is not a domain")
        return self

    def inbox_address(self, local: str) -> str:
        return f"{local}@{self.mail_domain}"

    def retry_waits(self) -> tuple[float, ...]:
        """INBOX_HOOK_RETRY_SCHEDULE as seconds: `5s,5m,2h` -> (5, 300, 7200)."""
        waits = []
        for item in self.hook_retry_schedule.split(","):
            item = item.strip()
            unit = _UNITS.get(item[-1:])
            try:
                if unit is None or float(item[:-1]) < 0:
                    raise ValueError(item)
                waits.append(float(item[:-1]) * unit)
            except ValueError:
                raise ConfigError(
                    f"INBOX_HOOK_RETRY_SCHEDULE: {item!r} is not a wait like 5s, 5m, 2h or 1d"
                ) from None
        return tuple(waits)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
