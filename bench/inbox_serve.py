"""The real thing: `inbox serve` as a subprocess with a temp data dir, an account, a login."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import targets

ACCOUNT_EMAIL = "bench@example.org"
# The load generator is one address standing in for many MTAs: the per-address limits
# (20 connections, 300 mails a minute) would refuse the bench itself.
UNLIMITED = {"INBOX_MAX_CONNECTIONS_PER_IP": "100000", "INBOX_MAILS_PER_MINUTE_PER_IP": "100000000"}


@dataclass
class Web:
    base_url: str
    cookies: dict[str, str]
    log: Path  # the server's log: it names each accepted mail's message id


@contextmanager
def inbox_serve(
    work: Path, env: dict[str, str] | None = None, tree: Path | None = None
) -> Iterator[tuple[targets.Target, Web]]:
    """`env`: settings for the server (INBOX_...), over the bench's own environment. `tree`: run
    the code of another checkout (`python -m` finds its packages first when started in it)."""
    data_dir = work / "data"
    smtp_port, web_port = targets.free_port(), targets.free_port()
    common = ["--data-dir", str(data_dir), "--host", targets.HOST]
    account = _inbox("account", "create", "Bench GmbH", "--email", ACCOUNT_EMAIL, "--json", *common, cwd=tree)
    argv = [
        sys.executable, "-m", "inbox", "serve", *common,
        "--smtp-port", str(smtp_port), "--web-port", str(web_port),
    ]  # fmt: skip
    work.mkdir(parents=True, exist_ok=True)
    with (
        (work / "serve.log").open("wb") as log,
        targets.running(
            "inbox serve",
            argv,
            smtp_port,
            stdout=log,
            stderr=log,
            env={**os.environ, **UNLIMITED, **(env or {})},
            cwd=tree,
        ) as target,  # fmt: skip
    ):
        target.recipient = account["inbox_address"]
        base_url = f"http://{targets.HOST}:{web_port}"
        _wait_for_web(base_url)
        yield target, Web(base_url, _login(base_url, ACCOUNT_EMAIL, account["password"]), work / "serve.log")


def _inbox(*args: str, cwd: Path | None = None) -> dict:
    done = subprocess.run([sys.executable, "-m", "inbox", *args], capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"inbox {' '.join(args)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def _wait_for_web(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base_url}/healthz did not answer within {timeout}s")


def _login(base_url: str, email: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=base_url) as client:
        form = client.get("/login")
        form.raise_for_status()
        csrf = client.cookies.get("inbox_login_csrf", "")
        client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
        if "inbox_session" not in client.cookies:
            raise RuntimeError("bench login failed: no session cookie")
        return dict(client.cookies)
