"""Blobs as files: ROOT/ab/cd/<sha256>, written durably (temp file, fsync, rename, dir fsync)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from storage.blobs import CHUNK, BlobNotFound, Spooled, checked, spool_prefix, sweep_spool


class FileBlobStore:
    """The embedded default. The spool directory is ROOT/tmp, on the blobs' filesystem, so
    adopting a spooled mail is a rename, not a copy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.spool_dir = root / "tmp"
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self._fsyncs = ThreadPoolExecutor(max_workers=16, thread_name_prefix="blob-fsync")

    def _path(self, sha256: str) -> Path:
        checked(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError as err:
            raise BlobNotFound(sha256) from err

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError as err:
            raise BlobNotFound(sha256) from err

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as file:
            return file.read()

    def stream(self, sha256: str, chunk: int = CHUNK) -> Iterator[bytes]:
        return _chunks(self.open(sha256), chunk)  # opened now: a missing blob raises here

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if self.exists(sha256):
            return sha256
        fd, name = tempfile.mkstemp(dir=self.spool_dir, prefix=spool_prefix("put"))
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            self._adopt_paths([(Path(name), sha256)])
        finally:
            Path(name).unlink(missing_ok=True)
        return sha256

    def adopt(self, files: Sequence[Spooled]) -> None:
        self._adopt_paths([(f.path, f.sha256) for f in files])

    def _adopt_paths(self, files: list[tuple[Path, str]]) -> None:
        """Each file is fsync'd, renamed into place, then every directory that changed is
        fsync'd once (new fan-out directories too, in their parents), so a batch pays one
        directory fsync per directory, not one per file."""
        targets = [self._path(sha256) for _, sha256 in files]  # a bad digest fails before any move
        self._fsync_each(_fsync_file, [temp for temp, _ in files])
        changed: set[Path] = set()
        for (temp, _), target in zip(files, targets, strict=True):
            changed |= self._make_parents(target.parent)
            os.replace(temp, target)
            changed.add(target.parent)
        self._fsync_each(fsync_dir, list(changed))

    def delete(self, sha256: str) -> None:
        # No directory fsync: a deletion undone by a crash leaves an orphan blob, which is harmless.
        self._path(sha256).unlink(missing_ok=True)

    def sweep_tmp(self, older_than: float) -> int:
        return sweep_spool(self.spool_dir, older_than)

    def _fsync_each(self, fsync: Callable[[Path], None], paths: list[Path]) -> None:
        """Concurrent fsyncs share the filesystem's journal commits; one after another do not."""
        if len(paths) == 1:
            fsync(paths[0])
        else:
            list(self._fsyncs.map(fsync, paths))

    def _make_parents(self, directory: Path) -> set[Path]:
        """Create `directory` and missing ancestors; returns the parents whose entries changed."""
        changed: set[Path] = set()
        for level in reversed([directory, *directory.parents]):
            if level.is_relative_to(self.root) and not level.is_dir():
                level.mkdir(exist_ok=True)
                changed.add(level.parent)
        return changed


def _chunks(file: BinaryIO, size: int) -> Iterator[bytes]:
    with file:
        while chunk := file.read(size):
            yield chunk


def _fsync_file(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new entry in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
