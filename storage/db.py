"""Engine and store: the one place that knows which database and which blob root are used."""

from __future__ import annotations

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
        return {"check_same_thread": False, "timeout": 10}
    # A server that drops packets would otherwise hold a connect (and the 250 waiting on it)
    # for the kernel's TCP timeout, minutes; `?connect_timeout=N` in the URL wins.
    return {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a committed 250 must survive power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
