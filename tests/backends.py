"""The two backends the storage, pipeline and end-to-end suites run on.

`sqlite`: the embedded default, a fresh data dir per test. `postgresql`: a private PostgreSQL
cluster (initdb in a temp dir, its own port and socket directory) and moto's standalone S3
server on a loopback port, both started once per session and stopped at its end; each test gets
a fresh database and a fresh key prefix. The code under test only sees URLs and `AWS_*`
variables: it cannot tell moto from S3.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from storage.blobs import BlobStore, open_blob_store
from storage.db import Store, open_store
from storage.schema import migrate
from tests.service import free_port

BACKENDS = ("sqlite", "postgresql")
# Suites that run on both backends (paths relative to the repository root).
BOTH_BACKENDS = ("tests/storage/", "tests/e2e/", "tests/inbox/test_pipeline.py")
BUCKET = "inbox-test"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


class BackendUnavailable(RuntimeError):
    """PostgreSQL or moto cannot be started here (not installed)."""


@dataclass(frozen=True)
class Backend:
    """Where one test keeps its data: URLs, and the environment a child process needs for them."""

    name: str
    data_dir: Path
    database_url: str | None = None
    blob_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def execute(self, *statements: str, **params: object) -> None:
        """Run SQL on this test's database, whichever engine (faults set up by hand)."""
        store = self.open_store()
        try:
            with store.engine.begin() as connection:
                for statement in statements:
                    connection.execute(text(statement), params)
        finally:
            store.engine.dispose()

    def open_store(self) -> Store:
        """The store a process with this backend's settings opens (the caller disposes it)."""
        return open_store(self.data_dir, self.database_url, self.blob_url, **self._blob_options())

    def open_blob_store(self) -> BlobStore:
        return open_blob_store(self.blob_url, self.data_dir, **self._blob_options())

    def stored_blobs(self) -> list[str]:
        """The sha256 of every blob in the store, looked at from outside the code under test."""
        if self.blob_url is None:
            root = self.data_dir / "blobs"
            return [p.name for p in root.rglob("*") if p.is_file() and p.parent != root / "tmp"]
        prefix = self.blob_url.removeprefix(f"s3://{BUCKET}/") + "/"
        return [key.rsplit("/", 1)[1] for key in s3_keys(self.env["INBOX_S3_ENDPOINT_URL"], prefix)]

    def _blob_options(self) -> dict:
        return {"s3_endpoint_url": self.env.get("INBOX_S3_ENDPOINT_URL")}


def postgres_bindir() -> Path | None:
    """The newest Debian-installed PostgreSQL's binaries, else whatever is on PATH."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if versions:
        return versions[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A throwaway cluster: trust auth, no TCP, a socket in its own directory; fsync off (tests)."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise BackendUnavailable("PostgreSQL is not installed (make test installs it)")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="inbox-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._template = ""
        self._user = _unprivileged_user()
        if self._user:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    def start(self) -> PostgresCluster:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.resume()
        return self

    def resume(self) -> None:
        """Start the server on the cluster's data, port and socket (again, after `halt`)."""
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.root}",
                "-c listen_addresses=''",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=400",
                "-c shared_buffers=64MB",
            ]
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def halt(self) -> None:
        """Stop the server, as an outage does; its data stays, for `resume`. A fast stop (not an
        immediate one), because with synchronous_commit off a crash may lose committed rows."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.root}&port={self.port}"

    def create_database(self, *, migrated: bool = True) -> str:
        """A fresh database; `migrated`: at the newest schema (a copy of a template migrated once)."""
        name = "t_" + secrets.token_hex(6)
        if migrated:
            self.psql(f"CREATE DATABASE {name} TEMPLATE {self._migrated_template()}")
        else:
            self._create_empty(name)
        return name

    def _create_empty(self, name: str) -> None:
        # Linguistic (ICU en-US) ordering, as most production databases have: sorts that must
        # match SQLite's byte order have to say so.
        self.psql(
            f"CREATE DATABASE {name} TEMPLATE template0 "
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )

    def _migrated_template(self) -> str:
        if not self._template:
            self._create_empty("inbox_migrated")
            engine = create_engine(self.url("inbox_migrated"))
            try:
                migrate(engine)
            finally:
                engine.dispose()  # a template must have no connections when it is copied
            self._template = "inbox_migrated"
        return self._template

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            [str(self.bindir.parent / "bin" / "psql"), "-h", str(self.root), "-p", str(self.port),
             "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self._user:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", self._user.pw_name, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, command, result.stdout, result.stderr)


def _unprivileged_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as err:
        raise BackendUnavailable("running as root and there is no 'postgres' user to run PostgreSQL") from err


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_CREDENTIALS["AWS_REGION"],
    )


def s3_keys(endpoint: str, prefix: str) -> list[str]:
    pages = s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


class MotoS3:
    """moto's standalone server: a real HTTP S3 API on a loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> MotoS3:
        server = Path(sys.executable).parent / "moto_server"
        if not server.exists():
            raise BackendUnavailable("moto[server] is not installed (pip install -e '.[dev]')")
        self.process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                return self
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise
                time.sleep(0.1)

    def client(self):
        return s3_client(self.endpoint)

    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix` (what a test checks instead of listing blob files)."""
        return s3_keys(self.endpoint, prefix)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
