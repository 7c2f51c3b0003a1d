"""A database server that accepts the connection and then says nothing must not hold a caller
for the kernel's TCP timeout: connecting gives up after a bounded time."""

import socket
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import storage.db
from storage.db import open_store


@pytest.fixture
def silent_server():
    """A listening socket that never answers: the kernel completes the handshake, then nothing."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def _connect(url: str, tmp_path) -> float:
    store = open_store(tmp_path, database_url=url)
    started = time.monotonic()
    with pytest.raises(OperationalError), store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    store.engine.dispose()
    return time.monotonic() - started


def test_a_silent_server_fails_the_connect_after_the_default_timeout(silent_server, tmp_path, monkeypatch):
    monkeypatch.setattr(storage.db, "CONNECT_TIMEOUT_SECONDS", 1)

    waited = _connect(f"postgresql+psycopg://inbox@127.0.0.1:{silent_server}/inbox", tmp_path)

    assert 0.9 < waited < 8


def test_the_url_s_own_connect_timeout_wins(silent_server, tmp_path, monkeypatch):
    monkeypatch.setattr(storage.db, "CONNECT_TIMEOUT_SECONDS", 60)
    url = f"postgresql+psycopg://inbox@127.0.0.1:{silent_server}/inbox?connect_timeout=2"

    waited = _connect(url, tmp_path)

    assert 1.9 < waited < 8
