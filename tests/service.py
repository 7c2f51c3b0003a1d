"""Start and stop a real `inbox serve` process on free ports with its own data directory."""

from __future__ import annotations

import json
import os
import re
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
    _open: list = field(default_factory=list)  # files and clients to close on stop

    def start(self, timeout: float = 30) -> Service:
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
            env={**os.environ, **self.env},
            cwd=self.cwd,
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode()
            self.startup_output.append(line)
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"inbox serve exited with {self.process.returncode}: {self.log()}")
            match = READY.search(line)
            if match:
                self.smtp_port = int(match.group(1) or 0)
                self.web_url = (match.group(2) or "").rstrip("/")
                return self
        raise TimeoutError(f"inbox serve did not get ready: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        for resource in self._open:
            resource.close()
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
