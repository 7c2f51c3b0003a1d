"""Settings: every one is a command-line flag and an INBOX_* environment variable."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path

from inbox.relay import parse_relay_url
from storage.blobs import S3_TIMEOUT_SECONDS
from web.clientip import parse_networks

LOG_FORMATS = ("text", "json")
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
    workers: int = 3  # extraction processes
    account_slots: int = 0  # extraction slots one account may hold at once; 0: all but one
    parse_timeout: float = 60.0  # seconds per mail
    parse_memory_mb: int = 1024  # address-space bound of an extraction process
    secure_cookies: bool = False  # set when the web is served over HTTPS
    server_timing: bool = False  # debugging and benchmarks: how long each request took, to anyone
    roles: str = ",".join(ROLES)  # what this process runs (inbox serve --roles)
    # How long a worker's claim on a mail lasts; None: 2 × parse_timeout + 30 s. A claim of a
    # worker whose machine died is taken over when it runs out.
    claim_lease: float | None = None
    s3_endpoint_url: str | None = None  # an S3-compatible server; None: AWS S3
    s3_timeout: float = S3_TIMEOUT_SECONDS  # seconds to connect to S3, and to wait for each read
    # Integrations: the API's rate and the webhooks' deliveries.
    api_rate_per_minute: int = 120  # requests per token
    hook_timeout: float = 10.0  # seconds a webhook target has to answer
    hook_retry_schedule: str = "5s,5m,30m,2h,5h,10h,10h"  # waits after each failed attempt
    hook_allow_private: bool = False  # let hooks target loopback/private/link-local (tests)
    # Operations: TLS and the limits of a public MX (DESIGN.md, "Operations").
    tls_cert: Path | None = None  # PEM certificate chain; with tls_key, enables STARTTLS
    tls_key: Path | None = None
    require_tls: bool = False  # MAIL before STARTTLS gets 530 5.7.0
    smtp_timeout: float = 300.0  # seconds for a client to send its next command -> 421 4.4.2
    smtp_data_timeout: float = 600.0  # seconds for the whole of DATA, however it trickles in
    max_connections_per_ip: int = 20  # -> 421 4.7.0
    mails_per_minute_per_ip: int = 300  # -> 421 4.7.0
    max_sessions: int = 2000  # all SMTP sessions; lowered to fit the open-files limit
    smtp_max_errors: int = 20  # error replies in one session before 421 4.7.0 and disconnect
    log_format: str = "text"  # or "json": one object a line, with the message id of a mail
    dns_servers: str = ""  # host[:port],... for SPF, DKIM and DMARC; empty: the system's resolver
    dns_timeout: float = 5.0  # seconds per DNS query; a timeout is temperror
    # Logins and outgoing mail (password resets, the daily digest).
    trusted_proxies: str = ""  # addresses/CIDRs whose X-Forwarded-For is believed; empty: none
    relay_url: str = ""  # smtp://[user:password@]host:port; empty: no outgoing mail
    relay_from: str = ""  # the From of outgoing mail; empty: invoice-inbox@MAIL_DOMAIN
    public_url: str = ""  # the web's address in mailed links; empty: http://HOST:WEB_PORT
    # The inbox address (or its key) that receives mail for postmaster@ and abuse@ MAIL_DOMAIN,
    # which RFC 5321 and RFC 2142 ask an MX to take; empty: refused like any unknown address.
    postmaster: str = ""
    # Days the raw mail of a processed message is kept; None: for ever (the documents stay).
    raw_retention_days: int | None = None

    def postmaster_key(self) -> str:
        """The inbox key of INBOX_POSTMASTER ("" when unset)."""
        if not self.postmaster:
            return ""
        local, at, domain = self.postmaster.strip().rpartition("@")
        key = local if at else domain
        if (at and domain.lower().rstrip(".") != self.mail_domain.lower()) or not key or "+" in key:
            raise ConfigError(
                f"INBOX_POSTMASTER: {self.postmaster!r} is not an inbox address at INBOX_MAIL_DOMAIN "
                f"({self.mail_domain})"
            )
        return key.lower()

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
        for name in (
            "max_message_bytes",
            "max_recipients",
            "workers",
            "parse_memory_mb",
            "max_connections_per_ip",
            "mails_per_minute_per_ip",
            "max_sessions",
            "smtp_max_errors",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"INBOX_{name.upper()}: must be at least 1, got {getattr(self, name)}")
        parse_dns_servers(self.dns_servers)
        positive = (
            "parse_timeout",
            "smtp_timeout",
            "smtp_data_timeout",
            "dns_timeout",
            "s3_timeout",
            "hook_timeout",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"INBOX_{name.upper()}: must be positive, got {getattr(self, name)}")
        if self.account_slots < 0:
            raise ConfigError(f"INBOX_ACCOUNT_SLOTS: must be 0 (automatic) or more, got {self.account_slots}")
        unknown = set(self.role_set) - set(ROLES)
        if unknown or not self.role_set:
            raise ConfigError(f"INBOX_ROLES: {self.roles!r} is not a list of roles from {', '.join(ROLES)}")
        if self.claim_lease is not None and self.claim_lease <= self.parse_timeout:
            raise ConfigError(
                f"INBOX_CLAIM_LEASE: {self.claim_lease} s must be longer than INBOX_PARSE_TIMEOUT "
                f"({self.parse_timeout} s), or a mail still in hand could be taken by another worker"
            )
        if self.raw_retention_days is not None and self.raw_retention_days < 1:
            raise ConfigError(
                f"INBOX_RAW_RETENTION_DAYS: must be at least 1 day (unset: keep raw mails), "
                f"got {self.raw_retention_days}"
            )
        if self.api_rate_per_minute < 1:
            raise ConfigError(
                f"INBOX_API_RATE_PER_MINUTE: must be at least 1, got {self.api_rate_per_minute}"
            )
        self.retry_waits()  # refuses a bad INBOX_HOOK_RETRY_SCHEDULE at start-up
        self._validate_mail_out()
        self._validate_tls()
        if "@" in self.mail_domain or not self.mail_domain.strip("."):
            raise ConfigError(f"INBOX_MAIL_DOMAIN: {self.mail_domain!r} is not a domain")
        self.postmaster_key()  # refuses an address of another domain at start-up
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"INBOX_LOG_FORMAT: {self.log_format!r} is not one of {', '.join(LOG_FORMATS)}")
        return self

    def _validate_mail_out(self) -> None:
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as err:
            raise ConfigError(f"INBOX_TRUSTED_PROXIES: {err}") from None
        if self.relay_url:
            try:
                parse_relay_url(self.relay_url)
            except ValueError as err:
                raise ConfigError(f"INBOX_RELAY_URL: {err}") from None
        if self.relay_from and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", self.relay_from):
            raise ConfigError(f"INBOX_RELAY_FROM: {self.relay_from!r} is not an e-mail address")
        if self.public_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", self.public_url):
            raise ConfigError(
                f"INBOX_PUBLIC_URL: {self.public_url!r} is not an http(s) URL like https://inbox.example.com"
            )

    @property
    def mail_from(self) -> str:
        return self.relay_from or f"invoice-inbox@{self.mail_domain}"

    @property
    def web_url(self) -> str:
        """The web's address for links in mail: never taken from a request's Host header,
        which anyone asking for a reset could set."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.web_port}"

    def _validate_tls(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            missing = "INBOX_TLS_KEY" if self.tls_key is None else "INBOX_TLS_CERT"
            raise ConfigError(f"{missing}: STARTTLS needs both INBOX_TLS_CERT and INBOX_TLS_KEY")
        if self.require_tls and self.tls_cert is None:
            raise ConfigError("INBOX_REQUIRE_TLS: needs INBOX_TLS_CERT and INBOX_TLS_KEY")
        for name in ("tls_cert", "tls_key"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ConfigError(f"INBOX_{name.upper()}: {str(path)!r} is not a readable file")

    @property
    def account_share(self) -> int:
        """One slot always stays for the other accounts: an account's backlog or slow mails
        delay another account's mail by seconds (a slot freeing up), never by minutes."""
        return self.account_slots or max(1, self.workers - 1)

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


def parse_dns_servers(value: str) -> list[tuple[str, int]]:
    """`host[:port]` items, comma-separated (IPv6 as `[::1]:53`)."""
    servers = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        match = re.fullmatch(r"\[([0-9a-fA-F:]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", item)
        if not match:
            raise ConfigError(f"INBOX_DNS_SERVERS: {item!r} is not host[:port]")
        host = match.group(1) or match.group(3)
        port = int(match.group(2) or match.group(4) or 53)
        if not 0 < port < 65536:
            raise ConfigError(f"INBOX_DNS_SERVERS: {item!r} has no valid port")
        servers.append((host, port))
    return servers


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
