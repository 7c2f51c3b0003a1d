"""BlobStore on a real directory tree: adopting spooled files, sweeping abandoned ones."""

from __future__ import annotations

import hashlib
import os
import time

from storage.blobs import BlobStore


def test_adopt_all_moves_every_file_into_its_fan_out_directory(tmp_path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    contents = [b"one", b"two", b"three", b"one"]  # the same bytes twice is fine
    files = []
    for n, raw in enumerate(contents):
        temp = blobs.tmp / f"t{n}"
        temp.write_bytes(raw)
        files.append((temp, hashlib.sha256(raw).hexdigest()))

    blobs.adopt_all(files)

    for (_, sha256), raw in zip(files, contents, strict=True):
        assert blobs.path(sha256).read_bytes() == raw
    assert list(blobs.tmp.iterdir()) == []


def test_sweep_removes_only_old_temp_files(tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    old, fresh = blobs.tmp / "old-spool", blobs.tmp / "fresh-spool"
    old.write_bytes(b"abandoned")
    fresh.write_bytes(b"in flight")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    assert blobs.sweep_tmp(older_than=3600) == 1
    assert not old.exists() and fresh.exists()
