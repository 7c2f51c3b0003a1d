from __future__ import annotations

from pathlib import Path

import pytest

from tests.service import Service

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture
def service(tmp_path: Path):
    """A running `inbox serve` with a fresh data directory, stopped after the test."""
    svc = Service(data_dir=tmp_path / "data").start()
    yield svc
    if svc.process and svc.process.poll() is None:
        svc.stop()


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS
