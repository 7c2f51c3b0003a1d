"""`python -m bench.hooks` (also run by `make bench`): how soon a mailed invoice reaches a
webhook, and what a failing receiver costs. All on loopback: `inbox serve`, our SMTP client
and a receiver of our own.

1. Latency: mails one at a time; from the SMTP `250` to the `document.created` POST
   arriving at a receiver that answers 200 (extraction included: that is what a user waits).
2. Retries: a receiver that answers 500 to the first N attempts of every event; per event,
   the attempts it got, whether every attempt carried one `webhook-id`, and the time from the
   `250` to the successful attempt, on a short retry schedule (stated in the table).

`--quick`: fewer mails, README untouched.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from dnslib.server import DNSLogger, DNSServer
from dnslib.zoneresolver import ZoneResolver

from bench import targets
from bench.inbox_serve import ACCOUNT_EMAIL, inbox_serve
from bench.mails import invoice_mail, invoice_pdfs
from bench.report import percentile, update_readme

ROOT = Path(__file__).resolve().parent.parent
SENDER = "billing@acme.example"
RETRY_SCHEDULE = "1s,1s,1s,1s,1s"
WAIT_SECONDS = 120  # for one delivery, at most


@dataclass
class Receiver:
    """Answers `fail_first` 500s to each event (by webhook-id), then 200; notes arrivals."""

    fail_first: int = 0
    attempts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # id -> times
    delivered: dict[str, tuple[str, float]] = field(default_factory=dict)  # filename -> (id, time)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{targets.HOST}:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                now = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                status = receiver.note(self.headers["webhook-id"], body["data"]["filename"], now)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((targets.HOST, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def note(self, webhook_id: str, filename: str, now: float) -> int:
        with self.arrived:
            self.attempts[webhook_id].append(now)
            if len(self.attempts[webhook_id]) <= self.fail_first:
                return 500
            self.delivered.setdefault(filename, (webhook_id, now))
            self.arrived.notify_all()
            return 200

    def wait_for(self, filename: str) -> tuple[str, float]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: filename in self.delivered, timeout=WAIT_SECONDS):
                raise TimeoutError(f"{filename} was not delivered within {WAIT_SECONDS} s")
            return self.delivered[filename]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Scenario:
    name: str
    latencies_ms: list[float]
    attempts: list[int]
    one_id_per_event: bool


def run_scenario(
    name: str, api: httpx.Client, smtp_port: int, recipient: str, numbers: list[int], fail_first: int
) -> Scenario:
    receiver = Receiver(fail_first=fail_first).start()
    hook = api.post("/api/v1/hooks", json={"event": "document.created", "target_url": receiver.url})
    hook.raise_for_status()
    latencies: list[float] = []
    try:
        for number, pdf in zip(numbers, invoice_pdfs(4 * 1024, numbers), strict=True):
            mail = invoice_mail(pdf, sender=SENDER, recipient=recipient, number=number)
            with smtplib.SMTP(targets.HOST, smtp_port, timeout=30) as smtp:
                smtp.sendmail(SENDER, [recipient], mail)  # returns on the 250
                accepted = time.perf_counter()
            _, delivered = receiver.wait_for(f"INV-2026-{number}.pdf")
            latencies.append((delivered - accepted) * 1000)
    finally:
        receiver.stop()
        api.delete(f"/api/v1/hooks/{hook.json()['id']}")
    ids = {webhook_id for webhook_id, _ in receiver.delivered.values()}
    return Scenario(
        name=name,
        latencies_ms=latencies,
        attempts=[len(receiver.attempts[webhook_id]) for webhook_id in ids],
        one_id_per_event=len(ids) == len(numbers) == len(receiver.attempts),
    )


def empty_dns() -> str:
    """A DNS server on loopback that knows no name: the SPF/DKIM/DMARC checks never leave."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((targets.HOST, 0))
        port = probe.getsockname()[1]
    quiet = DNSLogger(prefix=False, logf=lambda _line: None)
    DNSServer(ZoneResolver(""), port=port, address=targets.HOST, logger=quiet).start_thread()
    return f"{targets.HOST}:{port}"


def table(scenarios: list[Scenario], load: str) -> str:
    day = datetime.now(UTC).date().isoformat()
    lines = [
        f"Loopback, 2 cores, {day}; load average when measured: {load} (`uptime`). One mail at a "
        f"time, a 4 KB PDF invoice each; retry schedule `{RETRY_SCHEDULE}` (the default starts at 5 s).",
        "",
        "| receiver | events | attempts per event | one webhook-id per event "
        "| 250 → delivered p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for s in scenarios:
        attempts = sorted(set(s.attempts))
        lines.append(
            f"| {s.name} | {len(s.latencies_ms)} | {', '.join(map(str, attempts))} | "
            f"{'yes' if s.one_id_per_event else 'NO'} | {_ms(percentile(s.latencies_ms, 0.5))} | "
            f"{_ms(percentile(s.latencies_ms, 0.95))} | {_ms(max(s.latencies_ms))} |"
        )
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def load_average() -> str:
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    return uptime.rsplit("load average:", 1)[-1].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer mails; README untouched")
    parser.add_argument("--mails", type=int, default=40, help="mails in the latency run")
    parser.add_argument("--fail-first", type=int, default=2, help="500s before each 200 in the retry run")
    args = parser.parse_args()
    mails, retried = (5, 3) if args.quick else (args.mails, 10)
    env = {
        "INBOX_HOOK_ALLOW_PRIVATE": "true",  # the receiver is on loopback
        "INBOX_HOOK_RETRY_SCHEDULE": RETRY_SCHEDULE,
        "INBOX_DNS_SERVERS": empty_dns(),
    }
    with (
        tempfile.TemporaryDirectory(prefix="bench-hooks-") as work,
        inbox_serve(Path(work), env) as (target, web),
    ):
        made = subprocess.run(
            [sys.executable, "-m", "inbox", "token", "create", ACCOUNT_EMAIL, "--json"]
            + ["--data-dir", str(Path(work) / "data")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
        with httpx.Client(base_url=web.base_url, headers=headers, timeout=30) as api:
            scenarios = [
                run_scenario("answers 200", api, target.port, target.recipient, list(range(1, mails + 1)), 0),
                run_scenario(
                    f"fails the first {args.fail_first} (500)", api, target.port, target.recipient,
                    list(range(1001, 1001 + retried)), args.fail_first,
                ),
            ]  # fmt: skip
    result = table(scenarios, load_average())
    print(result)
    if not args.quick:
        print(update_readme(ROOT / "README.md", result, marker="bench-hooks"))


if __name__ == "__main__":
    main()
