"""Web latency with 200,000 documents in one account: first page, a page 150,000 deep, search.

Seeds a fresh data directory through storage (bulk inserts), starts a real `inbox serve` on it,
logs in over HTTP and reads each response's Server-Timing (time spent in the app).
Run: python -m bench.web [--documents N]. Prints a table; the target is p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bench.report import update_readme
from storage.accounts import create_account
from storage.db import Store, open_store
from storage.document_search import DocumentFilter, search_documents
from storage.models import Document, Message, new_id
from storage.schema import migrate

EMAIL, PASSWORD = "bench@example.com", "bench password 1"
DOCS_PER_MAIL = 10
NAMES = "Dupont Müller Acme Holz Martin Schmidt Bernard Weber Petit Fischer"
SUPPLIERS = [f"{name} {form}" for name in NAMES.split() for form in ("SARL", "GmbH", "SAS", "AG")]
WORDS = [
    "Rechnung",
    "facture",
    "invoice",
    "Beratung",
    "conseil",
    "Büromaterial",
    "fournitures",
    "Wartung",
    "maintenance",
    "Lizenz",
    "licence",
    "transport",
    "Miete",
    "loyer",
    "Reinigung",
    "nettoyage",
    "Hosting",
    "serveur",
]
RARE_WORD, RARE_EVERY = "Zollabfertigung", 10_000
BATCH = 20_000  # documents per transaction while seeding
READY = re.compile(r"web=(\S+)")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"  # noqa: E501


ROOT = Path(__file__).resolve().parents[1]


def seed(data_dir: Path, count: int) -> str:
    """One account with `count` documents; returns a cursor pointing 150,000 rows deep."""
    store = open_store(data_dir)
    migrate(store.engine)
    try:
        with store.session() as session:
            account_id = create_account(session=session, name="Bench", email=EMAIL, password=PASSWORD).id
        insert_documents(store, [(account_id, count)])
        return deep_cursor(store, account_id)
    finally:
        store.engine.dispose()


def insert_documents(store: Store, shares: list[tuple[str, int]]) -> None:
    """`count` documents for each (account, count), in mails of ten, received a minute apart
    from 2020 on in every account; invoice numbers are unique across accounts."""
    sha256 = store.blobs.put(PDF)  # every row points at one small file: one thumbnail to render
    rng = random.Random(42)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    numbered = 0
    for account_id, count in shares:
        for first in range(0, count, BATCH):
            messages, documents = [], []
            for n in range(first, min(first + BATCH, count), DOCS_PER_MAIL):
                received = start + timedelta(minutes=n)
                message_id = new_id()
                supplier = rng.choice(SUPPLIERS)
                messages.append(
                    {
                        "id": message_id,
                        "account_id": account_id,
                        "raw_sha256": sha256,
                        "raw_size": 1,
                        "received_at": received,
                        "status": "processed",
                        "sender": f"{supplier} <billing@x.example>",
                        "subject": f"Invoice {numbered + n}",
                    }  # fmt: skip
                )
                for part in range(min(DOCS_PER_MAIL, count - n)):
                    number = numbered + n + part
                    documents.append(_document(rng, account_id, message_id, sha256, number, received))
            with store.engine.begin() as connection:
                connection.execute(insert(Message), messages)
                connection.execute(insert(Document), documents)
            print(f"seeded {numbered + first + len(documents):,} documents", file=sys.stderr)
        numbered += count


def deep_cursor(store: Store, account_id: str) -> str:
    """The list's cursor 150,000 rows deep, or "" when the account has fewer documents."""
    deep: str | None = None
    with store.session() as session:
        for _ in range(15):  # in steps: a page's tags are loaded with one bound parameter per row
            _, deep = search_documents(
                session=session, account_id=account_id, filters=DocumentFilter(), cursor=deep, limit=10_000
            )
            if deep is None:
                return ""
    return deep or ""


def _document(rng, account_id, message_id, sha256, n, received) -> dict:
    supplier = rng.choice(SUPPLIERS)
    words = " ".join(rng.choice(WORDS) for _ in range(30))
    if n % RARE_EVERY == 0:  # a word few documents hold, for the rare-word search
        words += f" {RARE_WORD}"
    return {
        "id": new_id(),
        "account_id": account_id,
        "message_id": message_id,
        "part_path": str(n % DOCS_PER_MAIL),
        "sha256": sha256,
        "filename": f"invoice-{n}.pdf",
        "content_type": "application/pdf",
        "kind": "pdf",
        "size": 20_000,
        "pages": 1,
        "text": f"{supplier} {words}",
        "sender": f"{supplier} <billing@x.example>",
        "subject": f"Invoice {n}",
        "received_at": received,
        "invoice_source": "text",
        "invoice_number": f"INV-{n:07d}",
        "issue_date": date(2020, 1, 1) + timedelta(days=n % 2000),
        "seller": supplier,
        "total": f"{rng.randint(100, 1_000_000) / 100:.2f}",
        "currency": "EUR",
    }


def serve(data_dir: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`inbox serve` on `data_dir`; `env`: more settings (INBOX_DATABASE_URL, INBOX_ROLES...)."""
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(str(sock.getsockname()[1]))
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox", "serve", "--data-dir", str(data_dir),
         "--smtp-port", ports[0], "--web-port", ports[1]],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {}), "INBOX_SERVER_TIMING": "true"},  # what the benchmark reads
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if match := READY.search(line.decode()):
            return process, match.group(1).rstrip("/")
    raise RuntimeError("inbox serve did not start")


def logged_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    client.get("/login")
    token = client.cookies.get("inbox_login_csrf")
    client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    return client


def timed(client: httpx.Client, path: str, params: dict) -> float:
    response = client.get(path, params=params)
    response.raise_for_status()
    return float(response.headers["server-timing"].split("dur=")[1])


def measure(client: httpx.Client, requests: list[dict], rounds: int) -> list[float]:
    for params in requests[:3]:  # warm the caches once
        timed(client, "/documents", params)
    return [timed(client, "/documents", p) for _ in range(rounds) for p in requests]


def deep_pages(client: httpx.Client, cursor: str, pages: int) -> list[dict]:
    """Cursors of `pages` consecutive pages starting 150,000 rows deep."""
    cursors = [cursor]
    while len(cursors) < pages:
        html = client.get("/documents", params={"cursor": cursors[-1]}).text
        found = re.search(r"cursor=([\w-]+)", html.split('rel="next"')[1])
        if found is None:
            raise RuntimeError("the documents page has no next-page cursor")
        cursors.append(found.group(1))
    return [{"cursor": c} for c in cursors]


def cases(client: httpx.Client, deep: str) -> dict[str, list[dict]]:
    """The requests timed, by name; `deep`: a cursor 150,000 rows deep ("" to skip that case)."""
    return {
        "list, newest first": [{}],
        "list, by total": [{"sort": "total"}],
        "list, by supplier": [{"sort": "supplier"}],
        **({"page 150,000 deep (cursor)": deep_pages(client, deep, 5)} if deep else {}),
        "search, 1 rare word (INV number)": [{"q": f"INV-{n:07d}"} for n in (7, 1234, 99999)],
        "search, 2 words": [{"q": "müller beratung"}, {"q": "dupont nettoyage"}],
        "search + filter + sort": [{"q": "wartung", "sort": "total", "from": "2020-03-01"}],
    }


def timing_rows(client: httpx.Client, requests_by_name: dict[str, list[dict]], rounds: int) -> list[str]:
    """One markdown row per case: how many timings, p50 and p95 in ms."""
    rows = []
    for name, requests in requests_by_name.items():
        times = sorted(measure(client, requests, rounds))
        p95 = times[max(0, round(len(times) * 0.95) - 1)]
        rows.append(f"| {name} | {len(times)} | {statistics.median(times):.1f} | {p95:.1f} |")
        print(rows[-1], file=sys.stderr)
    return rows


TABLE_HEAD = ["| request | n | p50 ms | p95 ms |", "|---|---:|---:|---:|"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-readme", action="store_true", help="do not touch README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        deep = seed(data_dir, args.documents)
        print(f"seeded {args.documents:,} documents in {time.perf_counter() - started:.0f} s")
        process, base = serve(data_dir)
        try:
            client = logged_in(base)
            lines = [
                f"Server time (Server-Timing) with {args.documents:,} documents in one account, "
                f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}. Target: p95 under 100 ms.",
                "",
                *TABLE_HEAD,
                *timing_rows(client, cases(client, deep), args.rounds),
            ]
            table = "\n".join(lines)
            print(table)
            if not args.no_readme:
                print(update_readme(ROOT / "README.md", table, marker="bench-web"))
        finally:
            process.terminate()
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
