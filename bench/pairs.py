"""A change measured in interleaved pairs: `inbox serve` from this tree (A) beside the same
from another tree (B, the baseline: e.g. `git archive main | tar -x -C /tmp/base`).

Both servers are up the whole time; the load takes turns A B B A A B ..., each turn starting
once both workers have gone quiet (backlog 0), so neither turn pays for the other's
processing. Each pair gives a ratio A/B; the median and range of those ratios are what to
read on a shared machine, where rates drift. Also per turn: p99 to the 250, and CPU seconds of
the server's process tree per mail, processing included (until its backlog is empty again).
Run: python -m bench.pairs --baseline /tmp/base [--pairs 6] [--mails 200] [--size-kb 100].
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench import targets
from bench.inbox_serve import Web, inbox_serve
from bench.load import drive
from bench.mails import DistinctMails
from bench.report import percentile

SENDER = "billing@acme.example"
TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system seconds of a process and all its living descendants."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    family, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(times.get(p, 0.0) for p in family)


def backlog(web: Web) -> int:
    text = httpx.get(f"{web.base_url}/metrics", timeout=10).text
    found = re.search(r"^inbox_backlog_messages (\S+)$", text, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def wait_quiet(webs: list[Web], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while any(backlog(w) for w in webs):
        if time.monotonic() > deadline:
            raise RuntimeError("a worker did not drain its backlog in time")
        time.sleep(0.2)


def turn(target: targets.Target, web: Web, all_webs: list[Web], mails: DistinctMails, args) -> dict:
    wait_quiet(all_webs)
    cpu_before = tree_cpu_seconds(target.process.pid)
    sent = asyncio.run(
        drive(
            targets.HOST, target.port, mails, sender=SENDER, recipient=target.recipient,
            concurrency=args.concurrency, count=args.mails, seconds=120,
        )
    )  # fmt: skip
    mails.first += sent.mails + args.concurrency  # the next turn's invoices are new ones
    wait_quiet([web])
    cpu = tree_cpu_seconds(target.process.pid) - cpu_before
    return {
        "rate": sent.mails / sent.seconds,
        "p99": 1000 * (percentile(sent.latencies, 0.99) or 0),
        "cpu_ms": 1000 * cpu / max(1, sent.mails),
    }


def summary(name: str, values: list[float]) -> str:
    return f"{name}: median {statistics.median(values):.2f} (range {min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pairs", description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True, help="the tree B runs from")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--mails", type=int, default=200, help="mails per turn")
    parser.add_argument("--size-kb", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    mails = DistinctMails(args.size_kb * 1024, sender=SENDER, recipient="invoices@inbox.localhost")
    with tempfile.TemporaryDirectory(prefix="inbox-pairs-") as tmp, ExitStack() as stack:
        a = stack.enter_context(inbox_serve(Path(tmp) / "a"))
        b = stack.enter_context(inbox_serve(Path(tmp) / "b", tree=args.baseline))
        webs = [a[1], b[1]]
        for target, web in (a, b):  # warm-up: imports, extraction processes, page cache
            turn(target, web, webs, mails, args)
        rates, p99s, cpus = [], [], []
        for i in range(args.pairs):
            order = [("A", a), ("B", b)] if i % 2 == 0 else [("B", b), ("A", a)]
            got = {name: turn(target, web, webs, mails, args) for name, (target, web) in order}
            rates.append(got["A"]["rate"] / got["B"]["rate"])
            cpus.append(got["A"]["cpu_ms"] / got["B"]["cpu_ms"])
            p99s.append((got["A"]["p99"], got["B"]["p99"]))
            print(
                f"pair {i + 1}: A {got['A']['rate']:.1f}/s p99 {got['A']['p99']:.0f} ms "
                f"{got['A']['cpu_ms']:.1f} ms CPU/mail | B {got['B']['rate']:.1f}/s "
                f"p99 {got['B']['p99']:.0f} ms {got['B']['cpu_ms']:.1f} ms CPU/mail",
                flush=True,
            )
        print(summary("mails/s A/B", rates))
        print(summary("CPU per mail A/B", cpus))
        print(summary("p99 ms A", [p for p, _ in p99s]) + "; " + summary("p99 ms B", [p for _, p in p99s]))
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
