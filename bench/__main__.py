"""`make bench`: our SMTP ingestion beside its durable peers (Haraka, stock aiosmtpd) and
Postfix's smtp-sink, the ceiling, in one run on loopback. Every mail is a distinct invoice.

Every run is bounded by a mail count and by seconds; all traffic stays on 127.0.0.1.
`--quick`: 100 KB and 2 MB at C=8 only, 2 s each, README untouched: for iterating.
Every part, small, as a check that it runs: `--count 16 --seconds 1 --backlog 40 --no-readme`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench import targets
from bench.haraka import haraka
from bench.inbox_serve import Web, inbox_serve
from bench.listing import message_ids, queued_id, watch_listing
from bench.load import LoadResult, drive
from bench.mails import DistinctMails, dot_stuffed, invoice_mail, invoice_pdf
from bench.report import Results, Row, markdown, percentile, update_readme, write_json

ROOT = Path(__file__).resolve().parent.parent
KB, MB = 1024, 1024 * 1024
WORKLOADS = {"1 KB PDF": 1 * KB, "100 KB PDF": 100 * KB, "2 MB PDF": 2 * MB}
CONCURRENCY = (1, 8, 32)
SENDER = "billing@acme.example"
BIG_MAIL = 20 * MB  # the memory test: 32 connections each send one mail this big at once
BASE64_GROWTH = 1.37  # a PDF attachment grows by this much on the wire

Factory = Callable[[Path], AbstractContextManager[targets.Target]]


BACKLOG = 1000  # mails in the drain test
LISTING_MAILS = 300  # most mails in the 250 -> listed test
DRAIN_LIMIT = 600  # seconds the backlog may take to be listed


@contextmanager
def inbox_smtp(work: Path) -> Iterator[targets.Target]:
    with inbox_serve(work) as (target, _web):
        yield target


def throughput_targets() -> dict[str, Factory]:
    return {
        "smtp-sink": lambda _dir: targets.smtp_sink(),
        "haraka": haraka,
        "aiosmtpd": lambda d: targets.standin("stock", d),
        "aiosmtpd-spool": lambda d: targets.standin("spool", d),
        "inbox serve": inbox_smtp,
    }


def chosen(args) -> list[tuple[str, Factory]]:
    return [(name, f) for name, f in throughput_targets().items() if name in args.targets]


def send(
    target: targets.Target, mails: DistinctMails, concurrency: int, count: int, seconds: float
) -> LoadResult:
    return asyncio.run(
        drive(
            targets.HOST, target.port, mails, sender=SENDER, recipient=target.recipient,
            concurrency=concurrency, count=count, seconds=seconds,
        )
    )  # fmt: skip


def measure(target: targets.Target, workload: str, mails: DistinctMails, concurrency: int, args) -> Row:
    result = send(target, mails, concurrency, args.count, args.seconds)
    return Row(
        target=target.name,
        workload=workload,
        concurrency=concurrency,
        mails=result.mails,
        mails_per_s=result.mails / result.seconds,
        mb_per_s=result.bytes / result.seconds / MB,
        p50_ms=_ms(percentile(result.latencies, 0.50)),
        p99_ms=_ms(percentile(result.latencies, 0.99)),
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def wire_mail(pdf_size: int, recipient: str) -> bytes:
    return invoice_mail(invoice_pdf(pdf_size), sender=SENDER, recipient=recipient)


def warm_up(target: targets.Target, mails: DistinctMails, concurrency: int, args) -> None:
    """Unmeasured load first: `inbox serve`'s worker starts its extraction processes with the
    first mails and reaches full speed a second or two later; until then accept has the cores to
    itself (measured: 274-302 mails/s in the first 1.5 s, 158-218 after)."""
    if args.warmup > 0:
        sent = send(target, mails, concurrency, args.count, args.warmup)
        mails.first += sent.mails + concurrency


def throughput(results: Results, work: Path, args) -> None:
    workloads = {name: WORKLOADS[name] for name in args.workloads}
    for name, factory in chosen(args):
        for workload, size in workloads.items():
            mails = DistinctMails(size, sender=SENDER, recipient="invoices@inbox.localhost")
            with factory(work / f"{name}-{workload}".replace(" ", "-")) as target:
                warm_up(target, mails, max(args.concurrency), args)
                for concurrency in args.concurrency:
                    row = measure(target, workload, mails, concurrency, args)
                    mails.first += row.mails + concurrency  # the next run's invoices are new ones
                    print(f"  {row.target} {workload} C={concurrency}: {row.mails_per_s:.1f}/s")
                    results.rows.append(row)


def cross_check(results: Results, work: Path, args) -> None:
    """smtp-source as the generator, 100 KB PDF mails at C=8: is our generator the limit?"""
    mail = work / "mail-100k.eml"
    # smtp-source -F appends CRLF to each line and dot-stuffs itself: give it LF lines.
    mail.write_bytes(wire_mail(100 * KB, "invoices@inbox.localhost").replace(b"\r\n", b"\n"))
    count = min(8 * 50, max(8, args.count))
    for name, factory in chosen(args):
        with factory(work / f"source-{name}") as target:
            argv = [
                targets.postfix_tool("smtp-source"), "-d", "-s", "8", "-m", str(count),
                "-F", str(mail), "-f", SENDER, "-t", target.recipient,
                f"{targets.HOST}:{target.port}",
            ]  # fmt: skip
            began = time.monotonic()
            subprocess.run(argv, check=True, timeout=300, stdout=subprocess.DEVNULL)
            seconds = time.monotonic() - began
        results.rows.append(
            Row(
                target=name, generator="smtp-source", workload="100 KB PDF", concurrency=8,
                mails=count,
                mails_per_s=count / seconds, mb_per_s=count * mail.stat().st_size / seconds / MB,
                p50_ms=None, p99_ms=None,
            )
        )  # fmt: skip


def memory(results: Results, work: Path, args) -> None:
    """Peak RSS of each server while 32 connections each send a 20 MB mail at once."""
    data = dot_stuffed(wire_mail(int(BIG_MAIL / BASE64_GROWTH), "invoices@inbox.localhost"))
    for name, factory in chosen(args):
        with factory(work / f"memory-{name}") as target:
            asyncio.run(
                drive(
                    targets.HOST, target.port, [data], sender=SENDER, recipient=target.recipient,
                    concurrency=32, count=32, seconds=300, warmup=False,
                )
            )  # fmt: skip
            peak = targets.peak_rss_bytes(target.process.pid)
        results.notes[f"peak RSS, 32 x {len(data) / MB:.0f} MB at once, {name}"] = f"{peak / MB:.0f} MB"
        print(f"  {name:16} peak RSS {peak / MB:.0f} MB")


async def send_and_watch(
    target: targets.Target, web: Web, mails: Sequence[bytes], *, count: int, rate: float, seconds: float
) -> tuple[list[float], list[str], dict[str, float]]:
    """Send `count` mails (at `rate`/s, or flat out when 0) and watch their documents get listed."""
    wanted: set[str] = set()
    seen: dict[str, float] = {}
    watcher = asyncio.create_task(watch_listing(web, wanted, seen, time.monotonic() + seconds))
    sent = await drive(
        targets.HOST, target.port, mails, sender=SENDER, recipient=target.recipient,
        concurrency=8, count=count, seconds=seconds, warmup=False, rate=rate,
    )  # fmt: skip
    ids_by_token = message_ids(web.log)
    ids = [ids_by_token[queued_id(reply)] for reply in sent.replies]
    wanted.update(ids)
    await watcher
    return sent.accepted_at, ids, seen


def pipeline(results: Results, work: Path, args) -> None:
    """Backlog drain (1,000 mails flat out), then 250 -> listed at half the drain rate."""
    # Distinct invoices: identical PDFs would be kept once per account, and never listed again.
    mails = DistinctMails(100 * KB, sender=SENDER, recipient="invoices@inbox.localhost")
    backlog, later = mails[: args.backlog], mails[args.backlog : args.backlog + LISTING_MAILS]
    with inbox_serve(work / "pipeline") as (target, web):
        accepted, ids, seen = asyncio.run(
            send_and_watch(target, web, backlog, count=len(backlog), rate=0, seconds=DRAIN_LIMIT)
        )
        listed = [seen[i] for i in ids if i in seen]
        if len(listed) < len(ids):
            results.notes["backlog"] = f"only {len(listed)} of {len(ids)} listed in {DRAIN_LIMIT} s"
            return
        docs_per_s = len(ids) / (max(listed) - min(accepted))
        results.notes[f"backlog, {len(ids):,} x 100 KB PDF at C=8"] = (
            f"accepted in {max(accepted) - min(accepted):.1f} s; all listed "
            f"{max(listed) - max(accepted):.1f} s after the last 250; {docs_per_s:.1f} docs/s"
        )
        rate = docs_per_s / 2
        count = min(LISTING_MAILS, int(rate * 20) + 1)
        accepted, ids, seen = asyncio.run(
            send_and_watch(target, web, later, count=count, rate=rate, seconds=count / rate + 60)
        )
        delays = [seen[i] - t for i, t in zip(ids, accepted, strict=True) if i in seen]
        p50, p99 = percentile(delays, 0.5), percentile(delays, 0.99)
        results.notes[f"250 -> listed at {rate:.0f} mails/s (half the drain rate), {count} mails"] = (
            f"p50 {_ms(p50):.0f} ms, p99 {_ms(p99):.0f} ms, {len(delays)}/{count} listed"
        )


def _stop(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)  # unwinds the `with` blocks: no server is left running


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement (default 4)")
    parser.add_argument("--count", type=int, default=5000, help="most mails per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY))
    parser.add_argument("--backlog", type=int, default=BACKLOG, help="mails in the drain test (default 1000)")
    parts = ["throughput", "source", "memory", "pipeline"]
    parser.add_argument("--skip", nargs="*", default=[], choices=parts)
    parser.add_argument("--targets", nargs="+", default=list(throughput_targets()))
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--no-readme", action="store_true", help="do not touch README.md")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="unmeasured load per target and workload first (default 2 s)",
    )
    parser.add_argument("--quick", action="store_true", help="100 KB and 2 MB at C=8, 2 s each")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.concurrency, args.no_readme = 2.0, [8], True
        args.workloads = ["100 KB PDF", "2 MB PDF"]
        args.skip = sorted({*args.skip, "source", "memory", "pipeline"})
    signal.signal(signal.SIGTERM, _stop)

    began = time.monotonic()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as tmp:
        work = Path(tmp)
        steps = {"throughput": throughput, "source": cross_check, "memory": memory}
        for part, run in steps.items():
            if part not in args.skip:
                run(results, work, args)
                print(f"{part} done at {(time.monotonic() - began) / 60:.1f} min")
        if "pipeline" not in args.skip:
            pipeline(results, work, args)
    results.add_ratios()
    table = markdown(results)
    print(table)
    print(f"results: {write_json(results, ROOT / 'bench' / 'results')}")
    if not args.no_readme:
        print(update_readme(ROOT / "README.md", table))
    print(f"bench took {(time.monotonic() - began) / 60:.1f} min")


if __name__ == "__main__":
    main()
