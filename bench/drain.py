"""`python -m bench.drain`: how fast the worker drains a backlog, alone.

N distinct single-page invoice mails are stored and recorded as received (as accept leaves
them) while no worker runs; then the worker starts, with the pool and settings `inbox serve`
gives it, and the clock runs from its start until no mail is left `received`. No SMTP and no
web: only the worker's side, so a change to it can be timed in interleaved pairs
(`farm-bench --vs '...' -- .venv/bin/python -m bench.drain`). Prints one line of figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlmodel import func, select

from bench.mails import DistinctMails
from inbox.config import Settings
from inbox.workerprocess import configured_worker
from storage.accounts import create_account
from storage.db import Store, open_store
from storage.messages import count_backlog, record_received
from storage.models import Message
from storage.schema import migrate
from vocabulary import MessageStatus

SENDER = "billing@acme.example"
POLL_SECONDS = 0.05  # the poll runs in the measured process: not too often


def fill(store: Store, count: int, pdf_size: int) -> None:
    mails = DistinctMails(pdf_size, sender=SENDER, recipient="invoices@inbox.localhost")
    with store.session() as session:
        account = create_account(
            session=session,
            name="Drain",
            email=f"{secrets.token_hex(4)}@drain.example",
            password=secrets.token_urlsafe(12),
        )
        for mail in mails[:count]:
            record_received(
                session=session,
                raw_sha256=store.blobs.put(mail),
                raw_size=len(mail),
                envelope_from=SENDER,
                envelope_to_by_account={account.id: "invoices@inbox.localhost"},
            )


@dataclass
class Drained:
    seconds: float  # from the worker's start until the backlog is empty
    worker_cpu: float  # seconds of CPU of this process (the worker's loop, its threads)
    extraction_cpu: float  # seconds of CPU of the extraction processes
    transactions: int  # committed by the worker


async def drain(store: Store, watch: Store, settings: Settings) -> Drained:
    """`store` is the worker's, `watch` the poll's own (its transactions are not counted)."""
    transactions = []
    event.listen(store.engine, "commit", lambda _connection: transactions.append(1))
    started, cpu = time.monotonic(), time.process_time()
    pool, worker = configured_worker(store, settings)
    running = asyncio.create_task(worker.run())
    try:
        while await asyncio.to_thread(_backlog, watch):
            if running.done():
                running.result()
                raise RuntimeError("the worker stopped with mails left")
            await asyncio.sleep(POLL_SECONDS)
        seconds, worker_cpu = time.monotonic() - started, time.process_time() - cpu
        return Drained(seconds, worker_cpu, sum(_cpu_of(pid) for pid in pool.pids()), len(transactions))
    finally:
        worker.stop()
        with contextlib.suppress(Exception):
            await running
        pool.close()


def _cpu_of(pid: int) -> float:
    """User + system seconds of a live process of ours (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backlog(store: Store) -> int:
    with store.session() as session:
        return count_backlog(session=session)


def _statuses(store: Store) -> dict[str, int]:
    with store.session() as session:
        rows = session.exec(select(Message.status, func.count()).group_by(Message.status)).all()
    return {status: n for status, n in rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.drain", description=__doc__)
    parser.add_argument("--mails", type=int, default=300, help="mails in the backlog (default 300)")
    parser.add_argument("--pdf-kb", type=int, default=100, help="size of each PDF (default 100 KB)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as work:
        data_dir = Path(work)
        store = open_store(data_dir)
        migrate(store.engine)
        fill(store, args.mails, args.pdf_kb * 1024)
        watch = open_store(data_dir)
        drained = asyncio.run(drain(store, watch, Settings(data_dir=data_dir)))
        watch.engine.dispose()
        statuses = _statuses(store)
        store.engine.dispose()
    processed = statuses.get(MessageStatus.PROCESSED, 0)
    per_mail = 1000 / args.mails
    print(
        f"drained {args.mails} mails in {drained.seconds:.2f} s: {args.mails / drained.seconds:.1f} mails/s; "
        f"CPU per mail: worker {drained.worker_cpu * per_mail:.1f} ms, "
        f"extraction {drained.extraction_cpu * per_mail:.1f} ms; "
        f"worker transactions per mail: {drained.transactions / args.mails:.2f}; {statuses}"
    )
    if processed != args.mails:
        raise SystemExit(f"only {processed} of {args.mails} processed")


if __name__ == "__main__":
    main()
