"""A private Postfix instance (Debian's package) as the MX in front of `inbox serve`.

Its own config directory, queue and log in a temp dir, its own loopback port, started in the
foreground (`postfix -c DIR start-fg`) and stopped with its process group: the system's Postfix,
if any, is neither used nor touched. Postfix's daemons drop to the `postfix` user, so this needs
root (as in CI), and the directories must be reachable by that user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.service import free_port

POSTFIX = "/usr/sbin/postfix"

# The configuration docs/deploy.md recommends, with the test's paths and ports filled in.
MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.example
mydestination =
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
smtp_dns_support_level = disabled

# --- as in docs/deploy.md ---
relay_domains = {domain}
transport_maps = inline:{{ {domain}=smtp:[127.0.0.1]:{inbox_port} }}
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination, reject_unverified_recipient
unverified_recipient_reject_code = 550
smtpd_forbid_bare_newline = normalize
message_size_limit = 26214400
# --- test only: answer at once, keep verification results in memory ---
address_verify_poll_delay = 1s
address_verify_map =
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def unavailable() -> str | None:
    """Why a private Postfix cannot run here, or None."""
    if not Path(POSTFIX).exists():
        return "Debian's postfix is not installed (`make test` installs it)"
    if os.geteuid() != 0:
        return "a private Postfix instance needs root (its daemons switch to the postfix user)"
    return None


class PrivatePostfix:
    def __init__(self, *, domain: str, inbox_port: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="inbox-postfix-"))
        self.root.chmod(0o755)  # the daemons, as user postfix, chdir into the queue below
        self.port = free_port()
        (self.root / "conf").mkdir()
        (self.root / "queue").mkdir()
        (self.root / "data").mkdir()
        shutil.chown(self.root / "data", "postfix")
        settings = {"root": self.root, "domain": domain, "inbox_port": inbox_port, "port": self.port}
        (self.root / "conf" / "main.cf").write_text(MAIN_CF.format(**settings))
        (self.root / "conf" / "master.cf").write_text(MASTER_CF.format(**settings))
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> PrivatePostfix:
        self.process = subprocess.Popen(
            [POSTFIX, "-c", str(self.root / "conf"), "start-fg"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"postfix did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def queued(self) -> list[str]:
        """Mails in Postfix's queue (waiting, being delivered or deferred), bounces included."""
        return [
            p.name
            for name in ("maildrop", "incoming", "active", "deferred", "hold")
            for p in (self.root / "queue" / name).rglob("*")
            if p.is_file()
        ]

    def stop(self) -> None:
        """SIGTERM to the master (it makes itself a session leader, so its pid file says which
        process it is); it stops its daemons before it exits."""
        pid_file = self.root / "queue" / "pid" / "master.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
