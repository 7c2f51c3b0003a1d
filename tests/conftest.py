from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import (
    BACKENDS,
    BOTH_BACKENDS,
    BUCKET,
    S3_CREDENTIALS,
    Backend,
    BackendUnavailable,
    MotoS3,
    PostgresCluster,
)
from tests.service import Service

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of the suites in BOTH_BACKENDS that use `backend` (or `shared_backend`) run once per
    backend, unless their module is marked `store_agnostic`: what it tests lies above the store
    (SMTP replies, pages in a browser, TLS), so a second pass would test the same code again.

    INBOX_TEST_BACKENDS=sqlite (comma-separated) narrows it while iterating.
    """
    where = Path(metafunc.definition.path).relative_to(ROOT).as_posix()
    if not where.startswith(BOTH_BACKENDS) or metafunc.definition.get_closest_marker("store_agnostic"):
        return
    wanted = os.environ.get("INBOX_TEST_BACKENDS", ",".join(BACKENDS)).split(",")
    names = [b for b in BACKENDS if b in wanted]
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", names, indirect=True)
    elif "shared_backend" in metafunc.fixturenames:
        metafunc.parametrize("shared_backend", names, indirect=True, scope="module")


def _start(server):
    """Start a session-wide server; without it the PostgreSQL runs skip, unless told to require it."""
    try:
        return server().start()
    except BackendUnavailable as err:
        if os.environ.get("INBOX_TEST_REQUIRE_BACKENDS"):
            pytest.fail(f"{err} (INBOX_TEST_REQUIRE_BACKENDS is set)")
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = _start(PostgresCluster)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def s3() -> Iterator[MotoS3]:
    server = _start(MotoS3)
    yield server
    server.stop()


@contextlib.contextmanager
def _open_backend(
    request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch | None
) -> Iterator[Backend]:
    name = getattr(request, "param", "sqlite")
    if name == "sqlite":
        yield Backend(name=name, data_dir=data_dir)
        return
    postgres: PostgresCluster = request.getfixturevalue("postgres")
    s3: MotoS3 = request.getfixturevalue("s3")
    database = postgres.create_database()
    database_url = postgres.url(database)
    blob_url = f"s3://{BUCKET}/{database}"
    env = {
        "INBOX_DATABASE_URL": database_url,
        "INBOX_BLOB_URL": blob_url,
        "INBOX_S3_ENDPOINT_URL": s3.endpoint,
        **S3_CREDENTIALS,
    }
    if monkeypatch is not None:  # in-process stores read the same settings as a child process
        for key, value in env.items():
            monkeypatch.setenv(key, value)
    yield Backend(name=name, data_dir=data_dir, database_url=database_url, blob_url=blob_url, env=env)
    postgres.drop_database(database)


@pytest.fixture
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    """Where this test keeps its data: SQLite and files (default), or PostgreSQL and S3."""
    with _open_backend(request, tmp_path / "data", monkeypatch) as opened:
        yield opened


@pytest.fixture(scope="module")
def shared_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """A backend for every test of one module, for tests that only read what they set up. Its
    settings are not put in this process's environment (other modules' tests run meanwhile):
    children get them through `Service.env`."""
    with _open_backend(request, tmp_path_factory.mktemp("shared") / "data", None) as opened:
        yield opened


@pytest.fixture
def service(backend: Backend):
    """A running `inbox serve` on this test's backend, stopped after the test."""
    svc = Service(data_dir=backend.data_dir, env=dict(backend.env)).start()
    yield svc
    if svc.process and svc.process.poll() is None:
        svc.stop()


@pytest.fixture(scope="module")
def shared_service(shared_backend: Backend) -> Iterator[Service]:
    """One running `inbox serve` for a whole module: its tests must not depend on each other's
    data (each makes accounts of its own)."""
    svc = Service(data_dir=shared_backend.data_dir, env=dict(shared_backend.env)).start()
    yield svc
    if svc.process and svc.process.poll() is None:
        svc.stop()


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS
