"""Where an accepted mail's CPU goes: `inbox serve` under the bench's load, sampled by py-spy.

Runs a real `inbox serve` (worker running), sends distinct 100 KB invoices at C=8 for a while,
records every process of the tree with py-spy, and prints the share of CPU samples per step.
Run: python -m bench.profile [--seconds 15] [--size-kb 100] [--concurrency 8].
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import targets
from bench.inbox_serve import inbox_serve
from bench.load import drive
from bench.mails import DistinctMails
from bench.report import percentile

SENDER = "billing@acme.example"
# First match wins: (step, pattern on the sampled stack, outermost frame first).
STEPS = [
    # Before the rest: its thread's stack holds email/ (header From) and threading frames too.
    ("SPF, DKIM, DMARC", r"inbox/authresults|authheaders|dkim|/spf\.py|publicsuffix|dns/"),
    ("MIME + PDF extraction", r"inbox/extract|pypdf|pdfium|mailparser|email/"),
    ("fsync of blob files", r"_fsync_file"),
    ("fsync of directories", r"fsync_dir"),
    ("DATA: spool write + sha256", r"SpoolFile\.write"),
    ("DATA: spool file create/close/unlink", r"SpoolFile\.(__init__|finish)|_deliver"),
    ("DATA: dot-unstuffing", r"DataDecoder"),
    ("database: SQL, ORM, commits", r"sqlalchemy|sqlite3|sqlmodel|storage/"),
    ("pipes to the extraction processes", r"inbox/sandbox|multiprocessing"),
    ("DATA: socket reads", r"_receive|readuntil"),
    ("SMTP commands (aiosmtpd)", r"aiosmtpd"),
    ("web", r"uvicorn|starlette|fastapi|web/"),
    # Last: work in a thread that no step above names lands here too (it once hid the DMARC check).
    ("event loop, thread hand-offs", r"asyncio|selectors|concurrent/futures|threading|uvloop"),
]


def profile(seconds: float, size: int, concurrency: int, rate: int) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory(prefix="inbox-profile-") as tmp:
        work = Path(tmp)
        mails = DistinctMails(size, sender=SENDER, recipient="invoices@inbox.localhost")
        with inbox_serve(work) as (target, _web):
            raw = work / "samples.txt"
            argv = [
                spy, "record", "--pid", str(target.process.pid), "--subprocesses", "--nonblocking",
                "--rate", str(rate), "--duration", str(int(seconds) + 1), "--format", "raw", "-o", str(raw),
            ]  # fmt: skip
            recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)  # py-spy attaches
            sent = asyncio.run(
                drive(
                    targets.HOST, target.port, mails, sender=SENDER, recipient=target.recipient,
                    concurrency=concurrency, count=10**6, seconds=seconds,
                )
            )  # fmt: skip
            recorder.wait(timeout=seconds + 60)
        p50, p99 = percentile(sent.latencies, 0.5), percentile(sent.latencies, 0.99)
        print(
            f"{sent.mails} mails of {size // 1024} KB at C={concurrency}: {sent.mails / sent.seconds:.1f}/s, "
            f"p50 {1000 * (p50 or 0):.0f} ms, p99 {1000 * (p99 or 0):.0f} ms"
        )
        print(breakdown(raw.read_text()))


def breakdown(raw: str) -> str:
    """CPU samples per step and per process, as a markdown table."""
    steps: Counter[tuple[str, str]] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        chain = [f for f in frames if f.startswith("process ")]
        process = "worker" if any("spawn_main" in c or "forkserver" in c for c in chain) else "serve"
        text = ";".join(frames[len(chain) :])
        step = next((name for name, pattern in STEPS if re.search(pattern, text)), "other")
        steps[(process, step)] += int(count)
    total = sum(steps.values()) or 1
    lines = ["| process | step | share of CPU samples |", "|---|---|---:|"]
    lines += [f"| {p} | {s} | {100 * n / total:.1f}% |" for (p, s), n in steps.most_common()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--size-kb", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    args = parser.parse_args()
    profile(args.seconds, args.size_kb * 1024, args.concurrency, args.rate)


if __name__ == "__main__":
    main()
