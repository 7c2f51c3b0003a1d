"""take_write_lock on a real SQLite file: the lock is held from the start of the transaction,
and a writer in another connection is waited for, however long it takes within the timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from storage.db import open_store, take_write_lock
from storage.schema import migrate


@pytest.fixture
def database(tmp_path: Path):
    store = open_store(tmp_path / "data")
    migrate(store.engine)
    yield store, tmp_path / "data" / "inbox.db"
    store.engine.dispose()


def other_writer_can_begin(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return False
    finally:
        other.close()


def test_the_write_lock_is_held_before_anything_is_written(database):
    store, path = database
    with store.session() as session:
        take_write_lock(session)
        assert not other_writer_can_begin(path)
    assert other_writer_can_begin(path)


def test_a_writer_holding_the_lock_is_waited_for_and_the_lock_taken_when_it_lets_go(database):
    store, path = database
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released_at: list[float] = []

    def release() -> None:
        time.sleep(0.34)
        released_at.append(time.monotonic())
        holder.execute("COMMIT")

    releasing = threading.Thread(target=release)
    releasing.start()
    try:
        with store.session() as session:
            take_write_lock(session)
            taken_at = time.monotonic()
    finally:
        releasing.join()
        holder.close()
    # SQLite's own busy handler tries at 0.328 s, then not before 0.428 s (its steps grow to 100 ms).
    assert 0 <= taken_at - released_at[0] < 0.05
