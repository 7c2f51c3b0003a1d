"""Engine and store: the one place that knows which database and which blob root are used."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from storage import models  # noqa: F401  (registers the tables)
from storage.blobs import BlobStore, open_blob_store
from storage.fulltext import register_sqlite_functions

CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Store:
    engine: Engine
    blobs: BlobStore

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session


BUSY_TIMEOUT_MS = 10_000  # how long a connection waits for SQLite's write lock
LOCK_POLL_SECONDS = 0.002


def take_write_lock(session: Session) -> None:
    """On SQLite, take the database's single write lock now (BEGIN IMMEDIATE), trying again
    every 2 ms for up to BUSY_TIMEOUT_MS. SQLite's own busy handler sleeps between tries in
    steps growing to 100 ms, so a waiter often sleeps on after the holder has let go: for an
    SMTP accept, whose senders wait for its commit, that sleep was most of the 250's tail.
    Other databases: nothing to do (their rows lock one by one)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    if raw.in_transaction:
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")  # the driver then sees a transaction and adds no BEGIN
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
            time.sleep(LOCK_POLL_SECONDS)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def open_store(
    data_dir: Path, database_url: str | None = None, blob_url: str | None = None, **blob_options: Any
) -> Store:
    """The store as it is; the schema is storage.schema's business (`inbox migrate`).

    `blob_options` go to `open_blob_store` (the S3 endpoint and timeout).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{data_dir / 'inbox.db'}"
    # A server's connections can die under the pool (restart, fail-over): check them on checkout.
    engine = create_engine(url, connect_args=_connect_args(url), pool_pre_ping=not url.startswith("sqlite"))
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return Store(engine=engine, blobs=open_blob_store(blob_url, data_dir, **blob_options))


def _connect_args(url: str) -> dict:
    if url.startswith("sqlite"):
        # Threads share the pool; each connection is used by one thread at a time.
        return {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    # A server that drops packets would otherwise hold a connect (and the 250 waiting on it)
    # for the kernel's TCP timeout, minutes; `?connect_timeout=N` in the URL wins.
    return {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a committed 250 must survive power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
    register_sqlite_functions(dbapi_connection)
