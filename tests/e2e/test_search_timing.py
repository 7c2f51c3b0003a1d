"""A search's timing tells nothing about other accounts' documents (issue 10, item 9)."""

from __future__ import annotations

import pytest

from tests.service import Service

# Search timing in the web process: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def test_no_server_timing_unless_asked_for(service: Service):
    account = service.create_account("Acme", "owner@acme.example")
    client = service.client(account)

    for path in ("/documents?q=invoice", "/api/documents", "/login", "/healthz"):
        assert "server-timing" not in client.get(path).headers, path


def test_server_timing_for_benchmarks_when_switched_on(tmp_path):
    service = Service(tmp_path / "data", env={"INBOX_SERVER_TIMING": "true"}).start()
    try:
        assert service.client().get("/login").headers["server-timing"].startswith("app;dur=")
    finally:
        service.stop()
