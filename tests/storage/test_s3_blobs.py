"""The S3 blob store against a real S3 API over loopback (moto's server), and against dead ones."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.blobs import BlobNotFound
from storage.blobs.s3 import MULTIPART_BYTES, S3BlobStore, S3Settings, s3_location
from tests.backends import BUCKET, S3_CREDENTIALS, MotoS3


@dataclass(frozen=True)
class Spool:
    path: Path
    sha256: str


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def store(s3: MotoS3, tmp_path: Path, credentials) -> S3BlobStore:
    return S3BlobStore(
        S3Settings(bucket=BUCKET, prefix=f"{tmp_path.name}/blobs", endpoint_url=s3.endpoint),
        spool_dir=tmp_path / "spool",
    )


def spooled(store: S3BlobStore, data: bytes, name: str) -> Spool:
    path = store.spool_dir / name
    path.write_bytes(data)
    return Spool(path, hashlib.sha256(data).hexdigest())


def test_adopted_spools_are_uploaded_and_removed_large_ones_in_parts(store: S3BlobStore, s3: MotoS3):
    large = os.urandom(MULTIPART_BYTES * 2 + 123)
    raws = [b"Subject: one\r\n\r\nhello\r\n", b"", large]
    spools = [spooled(store, raw, f"spool-{n}") for n, raw in enumerate(raws)]

    store.adopt(spools)

    assert list(store.spool_dir.iterdir()) == []
    for spool, raw in zip(spools, raws, strict=True):
        assert store.read(spool.sha256) == raw
        assert store.size(spool.sha256) == len(raw)
    assert sorted(s3.keys(store.key(spools[0].sha256).rsplit("/", 1)[0] + "/")) == sorted(
        store.key(s.sha256) for s in spools
    )
    etag = s3.client().head_object(Bucket=BUCKET, Key=store.key(spools[2].sha256))["ETag"]
    assert etag.strip('"').endswith("-3")  # a multipart upload's ETag counts its parts


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hung S3 endpoint)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def closed_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there any more


@pytest.mark.parametrize("endpoint", ["silent", "closed"])
def test_a_dead_endpoint_is_an_error_within_the_timeout_not_a_hang(
    endpoint, silent_endpoint, tmp_path: Path, credentials
):
    url = silent_endpoint if endpoint == "silent" else closed_endpoint()
    store = S3BlobStore(
        S3Settings(bucket=BUCKET, endpoint_url=url, timeout=0.5, attempts=2), spool_dir=tmp_path / "spool"
    )
    spool = spooled(store, b"mail", "spool")

    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        store.adopt([spool])

    assert not isinstance(caught.value, BlobNotFound)
    assert time.monotonic() - started < 10
    assert spool.path.exists()  # kept: the caller answers 451 and the sender retries


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("s3://inbox-blobs", ("inbox-blobs", "")),
        ("s3://inbox-blobs/", ("inbox-blobs", "")),
        ("s3://inbox.blobs/prod/eu/", ("inbox.blobs", "prod/eu")),
    ],
)
def test_an_s3_url_names_bucket_and_prefix(url, location):
    assert s3_location(url) == location


@pytest.mark.parametrize(
    "url", ["s3://", "s3://UPPER/x", "s3://b/x", "s3://bucket/x?versionId=1", "gs://bucket"]
)
def test_a_bad_s3_url_is_refused_naming_the_setting(url):
    with pytest.raises(ValueError, match="INBOX_BLOB_URL"):
        s3_location(url)
