"""A small tmpfs of a test's own, so that it can fill a disk up (needs root; skips without)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(mount: Path, size: int) -> Iterator[Path]:
    mount.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_up(directory: Path) -> Path:
    """A file taking every byte left on `directory`'s filesystem; delete it to give them back."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1024 * 1024, 4096, 1):
            with contextlib.suppress(OSError):  # ENOSPC: on to smaller chunks, down to the last byte
                while True:
                    out.write(b"\0" * chunk)
    return filler
