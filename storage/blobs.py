"""Content-addressed blob files: DATA_DIR/blobs/ab/cd/<sha256>, written durably."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._fsyncs = ThreadPoolExecutor(max_workers=16, thread_name_prefix="blob-fsync")

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def put(self, data: bytes) -> str:
        """Store bytes durably; returns their sha256. Storing the same bytes twice is free."""
        sha256 = hashlib.sha256(data).hexdigest()
        if self.exists(sha256):
            return sha256
        fd, name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            self.adopt_all([(Path(name), sha256)])
        finally:
            Path(name).unlink(missing_ok=True)
        return sha256

    def adopt_all(self, files: list[tuple[Path, str]]) -> None:
        """Make files written in this store's tmp dir durable blobs, all in one round.

        Each file is fsync'd, renamed into place, then every directory that changed is
        fsync'd once (new fan-out directories too, in their parents), so a batch pays one
        directory fsync per directory, not one per file.
        """
        self._fsync_each(_fsync_file, [temp for temp, _ in files])
        changed: set[Path] = set()
        for temp, sha256 in files:
            target = self.path(sha256)
            changed |= self._make_parents(target.parent)
            os.replace(temp, target)
            changed.add(target.parent)
        self._fsync_each(fsync_dir, list(changed))

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

    def sweep_tmp(self, older_than: float) -> int:
        """Delete temp files (spools of dropped connections) older than `older_than` seconds.

        Only old ones: another process sharing this store may be writing a fresh one now.
        """
        cutoff = time.time() - older_than
        swept = 0
        for path in self.tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    swept += 1
        return swept

    def size(self, sha256: str) -> int:
        return self.path(sha256).stat().st_size


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
