"""BlobStore.adopt_all on a real directory tree."""

from __future__ import annotations

import hashlib

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
