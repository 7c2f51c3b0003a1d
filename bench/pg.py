"""PostgreSQL: the documents list and search at 1,000,000 documents, and SMTP ingest with 1 and 2
`inbox serve --roles smtp` processes beside one worker, blobs in shared files and in S3.

Starts its own private PostgreSQL cluster and moto's S3 server (tests/backends.py, the tests'
own), nothing of the system's. Run: python -m bench.pg [--documents N] [--no-readme].
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import Connection, text

from bench import targets, web
from bench.hooks import empty_dns
from bench.inbox_serve import UNLIMITED, inbox_serve
from bench.load import LoadResult, drive
from bench.mails import DistinctMails
from bench.report import percentile, update_readme
from storage.accounts import create_account
from storage.db import Store, open_store
from storage.fulltext import SEARCHED_COLUMNS
from tests.backends import BUCKET, S3_CREDENTIALS, MotoS3, PostgresCluster

ROOT = Path(__file__).resolve().parents[1]
MEASURED_SHARE = 0.2  # of all documents, in the account measured; the rest over OTHER_ACCOUNTS
OTHER_ACCOUNTS = 49
LOADED_TABLES = ("message", "document", "document_fts")
SENDER = "billing@acme.example"
KB = 1024
# What the full-text trigger writes for a document row (storage/fulltext_postgres.py).
WORDS = f"inbox_document_words({', '.join(('account_id', *SEARCHED_COLUMNS))})"


def _load() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())


# --- the documents list and search ---------------------------------------------------------------


def shares(total: int, measured_id: str, others: list[str]) -> list[tuple[str, int]]:
    """The measured account gets MEASURED_SHARE, the others the rest, Zipf-like (a few big ones)."""
    mine = round(total * MEASURED_SHARE) if others else total
    weights = [1 / (rank + 1) for rank in range(len(others))]
    rest = total - mine
    counts = [int(rest * w / sum(weights)) for w in weights]
    if counts:
        counts[0] += rest - sum(counts)
    return [(measured_id, mine), *zip(others, counts, strict=True)]


def seed(store: Store, total: int) -> tuple[str, int]:
    """`total` documents over 1 + OTHER_ACCOUNTS accounts; returns the deep cursor and the
    measured account's document count.

    Loads as a restore would: the full-text trigger off and the secondary indexes dropped, then
    the vectors written by the trigger's own function and the indexes built again from their
    saved definitions; what is measured is the state production's inserts leave.
    """
    with store.session() as session:
        measured = create_account(session=session, name="Bench", email=web.EMAIL, password=web.PASSWORD).id
        others = [
            create_account(
                session=session, name=f"Other {i}", email=f"other{i}@example.com", password=web.PASSWORD
            ).id
            for i in range(OTHER_ACCOUNTS if total >= 10_000 else 2)
        ]
    plan = shares(total, measured, others)
    with store.engine.begin() as connection:
        indexes = _secondary_indexes(connection)
        connection.exec_driver_sql("ALTER TABLE document DISABLE TRIGGER document_fts_sync")
        for name, _ in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')  # names from the catalogue
    began = time.perf_counter()
    web.insert_documents(store, plan)
    print(f"rows in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(f"INSERT INTO document_fts SELECT id, {WORDS} FROM document")  # noqa: S608
        connection.exec_driver_sql("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            connection.exec_driver_sql(definition)
        connection.exec_driver_sql("ALTER TABLE document ENABLE TRIGGER document_fts_sync")
        _check_vectors(connection)
    print(f"vectors and indexes in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM ANALYZE {', '.join(LOADED_TABLES)}")
    return web.deep_cursor(store, measured), plan[0][1]


def _secondary_indexes(connection: Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX ...) of the loaded tables' indexes that back no constraint."""
    rows = connection.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(:tables) AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ),
        {"tables": list(LOADED_TABLES)},
    )
    return [(name, definition) for name, definition in rows]


def _check_vectors(connection: Connection) -> None:
    """A sample of the loaded vectors must equal what the trigger would have written."""
    sample = "document TABLESAMPLE SYSTEM (1) JOIN document_fts ON document_id = id"
    query = f"SELECT count(*) FROM {sample} WHERE words <> {WORDS}"  # noqa: S608
    differing = connection.exec_driver_sql(query).scalar_one()
    missing = connection.exec_driver_sql(
        "SELECT (SELECT count(*) FROM document) - (SELECT count(*) FROM document_fts)"
    ).scalar_one()
    if differing or missing:
        raise RuntimeError(f"loaded vectors differ from the trigger's: {differing} differ, {missing} missing")


def pg_cases(client, deep: str) -> dict[str, list[dict]]:
    """SQLite's cases, and words common, rare and prefixes, which only a big index tells apart."""
    return {
        **web.cases(client, deep),
        "search, common word (in ~80%)": [{"q": "facture"}, {"q": "Rechnung"}],
        "search, rare word (1 in 10,000)": [{"q": web.RARE_WORD}],
        "search, INV number prefix (10 hits)": [{"q": f"INV-{n:06d}"} for n in (12, 1234, 9999)],
    }


def listing(cluster: PostgresCluster, total: int, rounds: int, work: Path) -> list[str]:
    database = cluster.create_database()  # at the newest schema: what `inbox migrate` makes
    url = cluster.url(database)
    store = open_store(work / "web", url)
    try:
        began = time.perf_counter()
        deep, mine = seed(store, total)
        seeded = time.perf_counter() - began
    finally:
        store.engine.dispose()
    print(f"seeded {total:,} documents in {seeded:.0f} s; load {_load()}", file=sys.stderr)
    process, base = web.serve(work / "web", {"INBOX_DATABASE_URL": url, "INBOX_ROLES": "web"})
    try:
        client = web.logged_in(base)
        before = _load()
        rows = web.timing_rows(client, pg_cases(client, deep), rounds)
        after = _load()
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=60)
        if process.stdout is not None:
            process.stdout.close()
        cluster.drop_database(database)
    accounts = 1 + (OTHER_ACCOUNTS if total >= 10_000 else 2)
    return [
        f"PostgreSQL {cluster.bindir.parent.name}, {total:,} documents over {accounts} accounts, "
        f"{mine:,} in the one measured; loaded in {seeded:.0f} s (trigger off, vectors by its "
        "function, indexes rebuilt, VACUUM ANALYZE). Server time (Server-Timing) of `inbox serve "
        f"--roles web`; cluster as the tests start it (shared_buffers 64 MB). Load average "
        f"before {before}, after {after}. Target: p95 under 100 ms.",
        "",
        *web.TABLE_HEAD,
        *rows,
    ]


# --- ingest ---------------------------------------------------------------------------------------


def blob_settings(s3: MotoS3 | None, work: Path) -> dict[str, str]:
    """A fresh key prefix on moto's S3, or (no S3) a fresh directory every node shares, as two
    nodes on one machine would share a mount."""
    if s3 is None:
        shared = work / f"blobs-{secrets.token_hex(4)}"
        shared.mkdir()
        return {"INBOX_BLOB_URL": shared.as_uri()}
    return {
        **S3_CREDENTIALS,
        "INBOX_BLOB_URL": f"s3://{BUCKET}/bench-{secrets.token_hex(4)}",
        "INBOX_S3_ENDPOINT_URL": s3.endpoint,
    }


@contextmanager
def ingest_nodes(
    cluster: PostgresCluster, s3: MotoS3 | None, smtp: int, work: Path, dns: str = ""
) -> Iterator[tuple[list[int], str]]:
    """`smtp` processes with the SMTP role and one with the worker role on one fresh database
    and blob store (moto's S3, or files when `s3` is None); yields their SMTP ports and the
    inbox address."""
    database = cluster.create_database()
    env = {
        **os.environ,
        "INBOX_DATABASE_URL": cluster.url(database),
        "INBOX_DNS_SERVERS": dns,
        **UNLIMITED,
        **blob_settings(s3, work),
    }
    inbox = [sys.executable, "-m", "inbox"]
    created = subprocess.run(
        [*inbox, "account", "create", "Bench GmbH", "--email", "bench@example.org", "--json",
         "--data-dir", str(work / "account")],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    address = json.loads(created.stdout)["inbox_address"]
    ports = [targets.free_port() for _ in range(smtp)]
    try:
        with ExitStack() as stack:
            log = stack.enter_context((work / f"ingest-{smtp}.log").open("wb"))
            worker = subprocess.Popen(
                [*inbox, "serve", "--roles", "worker", "--data-dir", str(work / "worker")],
                env=env, stdout=log, stderr=log,
            )  # fmt: skip
            stack.callback(targets.stop, worker)
            for n, port in enumerate(ports):
                argv = [*inbox, "serve", "--roles", "smtp", "--host", targets.HOST,
                        "--smtp-port", str(port), "--data-dir", str(work / f"smtp-{smtp}-{n}")]  # fmt: skip
                node = targets.running("inbox serve", argv, port, env=env, stdout=log, stderr=log)
                stack.enter_context(node)
            yield ports, address
    finally:
        cluster.drop_database(database)


async def spread(ports: list[int], first: int, address: str, concurrency: int, count: int,
                 seconds: float) -> LoadResult:  # fmt: skip
    """C connections split evenly over the ports (as MTAs over equal MX records), results merged;
    each port's share of invoices numbered apart from the others' from `first` on."""
    each = concurrency // len(ports)
    parts = await asyncio.gather(
        *(
            drive(
                targets.HOST,
                port,
                DistinctMails(100 * KB, sender=SENDER, recipient=address, first=first + i * count),
                sender=SENDER,
                recipient=address,
                concurrency=each,
                count=count // len(ports),
                seconds=seconds,
            )  # fmt: skip
            for i, port in enumerate(ports)
        )
    )
    merged = LoadResult(seconds=max(p.seconds for p in parts))
    for part in parts:
        merged.mails += part.mails
        merged.bytes += part.bytes
        merged.latencies += part.latencies
    return merged


def ingest(
    cluster: PostgresCluster,
    s3: MotoS3 | None,
    seconds: float,
    count: int,
    work: Path,
    processes=(1, 2),
    dns: str = "",
) -> list[str]:
    """Table rows: one per number of SMTP processes, on moto's S3 or (`s3` None) shared files."""
    label = "PostgreSQL, files" if s3 is None else "PostgreSQL, S3 (moto)"
    rows = []
    for smtp in processes:
        with ingest_nodes(cluster, s3, smtp, work, dns) as (ports, address):
            before = _load()
            result = asyncio.run(spread(ports, smtp * 1_000_000, address, 8, count, seconds))
            rows.append(_ingest_row(label, smtp, result, before, _load()))
    return rows


def sqlite_reference(seconds: float, count: int, work: Path, dns: str = "") -> str:
    """The row to compare with: one `inbox serve` (every role) on SQLite and files."""
    with inbox_serve(work / "sqlite", {"INBOX_DNS_SERVERS": dns}) as (target, _web):
        before = _load()
        result = asyncio.run(spread([target.port], 3_000_000, target.recipient, 8, count, seconds))
        return _ingest_row("SQLite, files: `inbox serve`, all roles", 1, result, before, _load())


def _ingest_row(label: str, smtp: int, result: LoadResult, before: str, after: str) -> str:
    p50, p99 = percentile(result.latencies, 0.5), percentile(result.latencies, 0.99)
    row = (
        f"| {label} | {smtp} | {result.mails} | {result.mails / result.seconds:.1f} "
        f"| {(p50 or 0) * 1000:.0f} | {(p99 or 0) * 1000:.0f} | {before} → {after} |"
    )
    print(row, file=sys.stderr)
    return row


INGEST_HEAD = [
    "Ingest: `inbox serve --roles smtp` ×1 and ×2 on PostgreSQL (two ports, the 8 connections "
    "split over both, as MTAs over two equal MX records) and one `--roles worker`; beside them, "
    "one `inbox serve` on SQLite, the figure to compare with. 100 KB PDF mails, every one a "
    "distinct invoice, C=8, the load generator on the same 2 cores; SPF/DKIM/DMARC asked of a "
    "loopback DNS server that knows no name. Blobs: files, one directory all processes share "
    "(as nodes sharing a mount), or S3 as moto's server, in Python on the same cores and much "
    "slower than real S3 (each 250 waits for its PUT: a floor). Latency: MAIL FROM to the 250.",
    "",
    "| database, blobs | SMTP processes | mails | mails/s | p50 ms | p99 ms "
    "| load average (1, 5, 15 min) before → after |",
    "|---|---:|---:|---:|---:|---:|---|",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pg", description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10, help="timings per list/search request")
    parser.add_argument("--seconds", type=float, default=10.0, help="per ingest measurement")
    parser.add_argument("--mails", type=int, default=2000, help="most mails per ingest measurement")
    parser.add_argument("--skip", nargs="*", default=[], choices=["listing", "ingest"])
    parser.add_argument("--no-readme", action="store_true", help="do not touch README.md")
    args = parser.parse_args(argv)
    began = time.monotonic()
    stamp = f"{time.strftime('%Y-%m-%d %H:%M')}, {len(os.sched_getaffinity(0))} cores."
    tables: dict[str, str] = {}  # README marker -> table: a part run alone keeps the other's figures
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp, ExitStack() as stack:
        cluster = PostgresCluster().start()
        stack.callback(cluster.stop)
        if "listing" not in args.skip:
            tables["bench-pg-listing"] = "\n".join(
                [stamp, "", *listing(cluster, args.documents, args.rounds, Path(tmp))]
            )
        if "ingest" not in args.skip:
            dns, work = empty_dns(), Path(tmp)
            rows = [sqlite_reference(args.seconds, args.mails, work, dns)]
            rows += ingest(cluster, None, args.seconds, args.mails, work, dns=dns)
            s3 = MotoS3().start()
            stack.callback(s3.stop)
            rows += ingest(cluster, s3, args.seconds, args.mails, work, dns=dns)
            tables["bench-pg-ingest"] = "\n".join([stamp, "", *INGEST_HEAD, *rows])
    for marker, table in tables.items():
        print(table)
        if not args.no_readme:
            print(update_readme(ROOT / "README.md", table, marker=marker))
    print(f"bench.pg took {(time.monotonic() - began) / 60:.1f} min")


if __name__ == "__main__":
    main()
