"""The blob stores: the interface on both (files, and S3 over loopback), the files' durability order."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.blobs import (
    BlobConfigError,
    BlobNotFound,
    BlobStore,
    InvalidDigest,
    open_blob_store,
    spool_prefix,
)
from storage.blobs.files import FileBlobStore
from tests.backends import Backend


@dataclass(frozen=True)
class Temp:
    path: Path
    sha256: str


@pytest.fixture
def blobs(backend: Backend) -> BlobStore:
    """The store of this test's backend: files, or a fresh prefix of an S3 bucket."""
    return backend.open_blob_store()


@pytest.fixture
def files(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


def spool(blobs: BlobStore, name: str, raw: bytes) -> Temp:
    path = blobs.spool_dir / name
    path.write_bytes(raw)
    return Temp(path, hashlib.sha256(raw).hexdigest())


def test_put_returns_the_sha256_and_the_bytes_come_back_every_way(blobs: BlobStore) -> None:
    data = os.urandom(300_000)

    sha256 = blobs.put(data)

    assert sha256 == hashlib.sha256(data).hexdigest()
    assert blobs.exists(sha256) and blobs.size(sha256) == len(data)
    assert blobs.read(sha256) == data
    with blobs.open(sha256) as stream:
        assert stream.read() == data
    chunks = list(blobs.stream(sha256, chunk=100_000))
    assert [len(c) for c in chunks] == [100_000, 100_000, 100_000] and b"".join(chunks) == data
    assert blobs.put(data) == sha256  # the same bytes again: nothing new
    assert list(blobs.spool_dir.iterdir()) == []


def test_adopt_moves_every_spooled_file_into_the_store_in_one_batch(blobs: BlobStore) -> None:
    contents = [b"one", b"two", b"three", b"one"]  # the same bytes twice is fine
    files = [spool(blobs, f"t{n}", raw) for n, raw in enumerate(contents)]

    blobs.adopt(files)

    for temp, raw in zip(files, contents, strict=True):
        assert blobs.read(temp.sha256) == raw
    assert list(blobs.spool_dir.iterdir()) == []  # moved, not copied


def test_adopt_fsyncs_the_file_before_the_rename_and_the_directory_after(
    files: FileBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = files
    temp = spool(blobs, "t", b"durable")
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source: Path, target: Path) -> None:
        events.append(("rename", str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)

    blobs.adopt([temp])

    target = blobs.root / temp.sha256[:2] / temp.sha256[2:4] / temp.sha256
    assert events.index(("fsync", str(temp.path))) < events.index(("rename", str(target)))
    after = events[events.index(("rename", str(target))) :]
    # the blob's directory, and each new fan-out directory in its parent
    assert {("fsync", str(target.parent)), ("fsync", str(target.parent.parent))} <= set(after)
    assert ("fsync", str(blobs.root)) in after


def test_a_missing_blob_is_blob_not_found_at_once_and_deleting_it_is_fine(blobs: BlobStore) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()

    assert not blobs.exists(missing)
    for call in (blobs.read, blobs.open, blobs.stream, blobs.size):
        with pytest.raises(BlobNotFound):
            call(missing)
    blobs.delete(missing)


def test_delete_removes_the_blob(blobs: BlobStore) -> None:
    sha256 = blobs.put(b"bye")

    blobs.delete(sha256)

    assert not blobs.exists(sha256)
    with pytest.raises(BlobNotFound):
        blobs.read(sha256)


BAD_DIGESTS = ["", "abc", "../" + "a" * 61, "A" * 64, "g" * 64, "a" * 63 + "/", "a" * 65]


@pytest.mark.parametrize("bad", BAD_DIGESTS)
def test_anything_but_a_sha256_digest_is_refused(blobs: BlobStore, bad: str) -> None:
    for call in (blobs.exists, blobs.read, blobs.open, blobs.stream, blobs.size, blobs.delete):
        with pytest.raises(InvalidDigest):
            call(bad)
    temp = spool(blobs, "t", b"x")
    with pytest.raises(InvalidDigest):
        blobs.adopt([Temp(temp.path, bad)])
    assert temp.path.exists()  # refused before anything moved


def test_sweep_removes_only_old_temp_files(blobs: BlobStore) -> None:
    old, fresh = blobs.spool_dir / "old-spool", blobs.spool_dir / "fresh-spool"
    old.write_bytes(b"abandoned")
    fresh.write_bytes(b"in flight")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    assert blobs.sweep_tmp(older_than=3600) == 1
    assert not old.exists() and fresh.exists()


def test_sweep_removes_at_once_what_a_killed_process_of_this_host_left(blobs: BlobStore) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    killed = blobs.spool_dir / spool_prefix("data").replace(str(os.getpid()), str(dead_pid), 1)
    alive = blobs.spool_dir / (spool_prefix("data") + "live")
    elsewhere = blobs.spool_dir / f"data-{dead_pid}-00000000-other-host"
    for path in (killed, alive, elsewhere):
        path.write_bytes(b"partial")

    assert blobs.sweep_tmp(older_than=3600) == 1
    assert not killed.exists() and alive.exists() and elsewhere.exists()


def test_the_default_store_lives_in_the_data_dir(tmp_path: Path) -> None:
    store = open_blob_store(None, tmp_path)
    sha256 = store.put(b"default")

    assert FileBlobStore(tmp_path / "blobs").read(sha256) == b"default"


def test_a_file_url_names_the_store_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "some where"
    store = open_blob_store(f"file://{str(elsewhere).replace(' ', '%20')}", tmp_path / "data")
    sha256 = store.put(b"elsewhere")

    assert FileBlobStore(elsewhere).read(sha256) == b"elsewhere"
    assert not (tmp_path / "data" / "blobs").exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("s3://Bucket/prefix", "not s3://BUCKET[/PREFIX]"),
        ("ftp://host/x", "unsupported"),
        ("file://otherhost/blobs", "not a local absolute path"),
        ("file:relative/blobs", "not a local absolute path"),
    ],
)
def test_an_unusable_blob_url_is_an_error_naming_the_setting(tmp_path: Path, url: str, says: str) -> None:
    with pytest.raises(BlobConfigError, match="^INBOX_BLOB_URL: ") as err:
        open_blob_store(url, tmp_path)
    assert says in str(err.value)
