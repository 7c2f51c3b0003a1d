"""Start and stop a real `inbox serve` process on free ports with its own data directory."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# A node that runs only some roles names only those listeners.
READY = re.compile(r"invoice-inbox ready:(?: smtp=\S+:(\d+))?(?: web=(\S+))?")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_EMPTY_DNS: list[str] = []


def empty_dns_server() -> str:
    """A DNS server on loopback that knows no name (started once per test run), so that the
    service's SPF, DKIM and DMARC lookups never leave the machine and fail at once."""
    if not _EMPTY_DNS:
        from dnslib.server import DNSServer
        from dnslib.zoneresolver import ZoneResolver

        from tests.dnsserver import free_udp_port, quiet

        port = free_udp_port()
        DNSServer(ZoneResolver(""), port=port, address="127.0.0.1", logger=quiet()).start_thread()
        _EMPTY_DNS.append(f"127.0.0.1:{port}")
    return _EMPTY_DNS[0]


def inbox_cli(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """`inbox ARGS --data-dir DATA_DIR`; `cwd` picks the code (`python -m` imports from there first)."""
    return subprocess.run(
        [sys.executable, "-m", "inbox", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@dataclass
class Account:
    id: str
    email: str
    password: str
    inbox_address: str


@dataclass
class Service:
    data_dir: Path
    env: dict = field(default_factory=dict)
    cwd: Path | None = None  # another checkout's code, when given
    roles: str | None = None  # --roles; None: all of them
    own_process_group: bool = False  # so that kill_group() takes its children too
    process: subprocess.Popen | None = None
    startup_output: list[str] = field(default_factory=list)  # stdout up to the ready line
    smtp_port: int = 0
    web_url: str = ""
    log_path: Path | None = None
    open_files: int | None = None  # RLIMIT_NOFILE (soft and hard) of the server process
    _open: list = field(default_factory=list)  # files and clients to close on stop

    def start(self, timeout: float = 60) -> Service:
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-serve.log"
        log = self.log_path.open("ab")
        self._open.append(log)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "inbox",
                "serve",
                "--data-dir",
                str(self.data_dir),
                "--smtp-port",
                str(free_port()),
                "--web-port",
                str(free_port()),
                *(["--roles", self.roles] if self.roles else []),
            ],
            start_new_session=self.own_process_group,
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, "INBOX_DNS_SERVERS": empty_dns_server(), **self.env},
            cwd=self.cwd,
            preexec_fn=self._limit_open_files if self.open_files else None,
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode()
            self.startup_output.append(line)
            if not line and self.process.poll() is not None:
                self.stop()  # closes the log and the pipe, so a failed start leaks nothing
                raise RuntimeError(f"inbox serve exited with {self.process.returncode}: {self.log()}")
            match = READY.search(line)
            if match:
                self.smtp_port = int(match.group(1) or 0)
                self.web_url = (match.group(2) or "").rstrip("/")
                return self
        raise TimeoutError(f"inbox serve did not get ready: {self.log()}")

    def _limit_open_files(self) -> None:
        assert self.open_files is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def send_signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        for opened in self._open:
            opened.close()
        self._open.clear()
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def kill_group(self) -> None:
        """kill -9 the node and every process it started, as when its machine dies."""
        assert self.own_process_group and self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.stop(signal.SIGKILL)

    def create_account(self, name: str, email: str, password: str = "correct horse battery") -> Account:
        result = inbox_cli(
            self.data_dir,
            "account",
            "create",
            name,
            "--email",
            email,
            "--password-stdin",
            "--json",
            stdin=password + "\n",
            env=self.env,
            cwd=self.cwd,
        )
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        return Account(id=data["id"], email=email, password=password, inbox_address=data["inbox_address"])

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """`inbox ARGS` against this service's data, with its settings."""
        return inbox_cli(self.data_dir, *args, env=self.env, cwd=self.cwd)

    def client(self, account: Account | None = None) -> httpx.Client:
        """An HTTP client, logged in as `account` when given."""
        client = httpx.Client(base_url=self.web_url, timeout=30, follow_redirects=False)
        self._open.append(client)
        if account is not None:
            login(client, account.email, account.password)
        return client


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    client.get("/login")
    token = client.cookies.get("inbox_login_csrf")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return response


def wait_for(predicate, timeout: float = 30, interval: float = 0.1):
    """Poll until predicate() returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")
