"""The servers the benchmark measures, each started as its own process on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
# Keeps apt's maintainer scripts from starting the Postfix daemon (Debian's policy-rc.d hook).
NO_DAEMONS = Path("/usr/sbin/policy-rc.d")


@dataclass
class Target:
    name: str
    port: int
    process: subprocess.Popen
    recipient: str = "invoices@inbox.localhost"


def postfix_tool(name: str) -> str:
    """Path of a Postfix test tool; installs Debian's postfix (daemon never started) if missing."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found:
        return found
    _install_postfix()
    found = shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise RuntimeError(f"{name} still missing after installing postfix")
    return found


def _install_postfix() -> None:
    print("postfix tools missing: apt-get install -y postfix (its daemon is not started)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    added_policy = not NO_DAEMONS.exists()
    if added_policy:
        NO_DAEMONS.write_text("#!/bin/sh\nexit 101\n")
        NO_DAEMONS.chmod(0o755)
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"], env=env, check=True)
    finally:
        if added_policy:
            NO_DAEMONS.unlink()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for_smtp(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until the server greets; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=2) as conn:
                if conn.recv(3) == b"220":
                    conn.sendall(b"QUIT\r\n")
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no SMTP greeting on port {port} within {timeout}s")


@contextmanager
def running(name: str, argv: list[str], port: int, **popen) -> Iterator[Target]:
    process = subprocess.Popen(argv, **popen)
    try:
        wait_for_smtp(port, process)
        yield Target(name=name, port=port, process=process)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def smtp_sink() -> Iterator[Target]:
    port = free_port()
    # -u: smtp-sink refuses to keep root privileges; it only listens and discards.
    argv = [postfix_tool("smtp-sink"), "-u", "nobody", f"{HOST}:{port}", "256"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # "lost connection" noise
    with running("smtp-sink", argv, port, **quiet) as target:
        yield target


@contextmanager
def standin(kind: str, data_dir: Path) -> Iterator[Target]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.standin", "--kind", kind, "--port", str(port)]
    name = "aiosmtpd" if kind == "stock" else f"aiosmtpd-{kind}"
    with running(name, [*argv, "--data-dir", str(data_dir)], port) as target:
        yield target


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set size so far (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")
