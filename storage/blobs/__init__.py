"""Blob storage: content-addressed bytes behind one interface, whatever holds them.

Everything outside `storage/` sees a blob as its sha256 and asks the store for bytes or a
stream; nobody else knows where a blob lives, so a store on S3 can replace the files
(issue 15). The embedded default is `FileBlobStore` under `DATA_DIR/blobs`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from storage.claims import process_alive

# Seconds to connect to S3 and to wait for each read; 3 attempts. An endpoint that accepts and
# never answers is an error after about 5 times this (measured: 25 s), well inside the minutes an
# SMTP client waits for its reply to DATA.
S3_TIMEOUT_SECONDS = 5.0
CHUNK = 256 * 1024  # what `stream` yields by default: bounded memory, few round trips
_SHA256 = re.compile(r"[0-9a-f]{64}")
# A spool file named by `spool_prefix`: its writer's pid and host.
_OWNED = re.compile(r"[a-z]+-(\d+)-([0-9a-f]{8})-")
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


class InvalidDigest(ValueError):
    """Not a lowercase sha256 hex digest: never a key of this store."""


class BlobNotFound(LookupError):
    """No blob has this sha256."""


class BlobStoreUnavailable(OSError):
    """The store did not answer or failed to (an S3 endpoint down, refusing, timing out): no
    fault of the blob or of whoever asked for it; try again later. An OSError, like a file
    store's I/O error, so callers treat both outages alike."""


class BlobConfigError(ValueError):
    """The blob store setting cannot be used; the message names the setting and the value."""


class Spooled(Protocol):
    """A complete local temp file and the sha256 of its bytes (e.g. `SpooledMessage`)."""

    @property
    def path(self) -> Path: ...
    @property
    def sha256(self) -> str: ...


class BlobStore(Protocol):
    """Content-addressed, durable bytes. Storing the same bytes twice is free.

    Writers that receive data as it arrives (SMTP DATA) write a temp file in `spool_dir`,
    a local directory, and hand it to `adopt`; the store decides what becomes of it
    (a rename on the same filesystem here, an upload to S3 elsewhere). No method hands
    out where a blob is kept.
    """

    spool_dir: Path

    def put(self, data: bytes) -> str:
        """Store `data` durably; returns its sha256."""
        ...

    def adopt(self, files: Sequence[Spooled]) -> None:
        """Make temp files in `spool_dir` durable blobs, as one batch (shared fsyncs).

        When it returns, every blob is durable and the temp files are gone; on error
        nothing is promised and the caller keeps its temp files' fate.
        """
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A readable binary stream of the blob; use it as a context manager."""
        ...

    def stream(self, sha256: str, chunk: int = CHUNK) -> Iterator[bytes]:
        """The blob in chunks (HTTP responses, ZIPs). A missing blob raises here, at once,
        not at the first chunk, so a response can still become an error."""
        ...

    def read(self, sha256: str) -> bytes: ...
    def exists(self, sha256: str) -> bool: ...
    def size(self, sha256: str) -> int: ...

    def delete(self, sha256: str) -> None:
        """Remove the blob; deleting one that is not there is fine."""
        ...

    def sweep_tmp(self, older_than: float) -> int:
        """Delete spool files older than `older_than` seconds (dropped connections)."""
        ...


def checked(sha256: str) -> str:
    """`sha256` if it is a lowercase sha256 hex digest; raises InvalidDigest otherwise."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise InvalidDigest(f"not a sha256 hex digest: {sha256!r}")
    return sha256


def open_blob_store(
    url: str | None,
    data_dir: Path,
    *,
    s3_endpoint_url: str | None = None,
    s3_timeout: float = S3_TIMEOUT_SECONDS,
) -> BlobStore:
    """The store named by `url` (INBOX_BLOB_URL); none means files under DATA_DIR/blobs.

    `s3://BUCKET/PREFIX` is a bucket on INBOX_S3_ENDPOINT_URL (default: AWS) whose spools are
    written locally under DATA_DIR/spool first.
    """
    from storage.blobs.files import FileBlobStore

    if not url:
        return FileBlobStore(data_dir / "blobs")
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise BlobConfigError(
                f"INBOX_BLOB_URL: {url!r} is not a local absolute path; write file:///path/to/blobs"
            )
        return FileBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        from storage.blobs.s3 import S3BlobStore, S3Settings, s3_location

        bucket, prefix = s3_location(url)
        settings = S3Settings(bucket=bucket, prefix=prefix, endpoint_url=s3_endpoint_url, timeout=s3_timeout)
        return S3BlobStore(settings, spool_dir=data_dir / "spool")
    raise BlobConfigError(
        f"INBOX_BLOB_URL: unsupported blob store {url!r}; "
        "supported: file:///path (default DATA_DIR/blobs), s3://BUCKET/PREFIX"
    )


def spool_prefix(kind: str) -> str:
    """The name prefix of a spool file written by this process: `sweep_spool` removes what a
    process killed in the middle of a mail left as soon as the next one starts."""
    return f"{kind}-{os.getpid()}-{_HOST}-"


def sweep_spool(spool_dir: Path, older_than: float) -> int:
    """Delete spool files (of dropped connections) older than `older_than` seconds, and at
    once those whose writer, a process of this host, is gone (kill -9).

    Only those: another process sharing the directory may be writing a fresh one now.
    """
    cutoff = time.time() - older_than
    swept = 0
    for path in spool_dir.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and (_writer_gone(path.name) or path.stat().st_mtime < cutoff):
                path.unlink()
                swept += 1
    return swept


def _writer_gone(name: str) -> bool:
    owned = _OWNED.match(name)
    return owned is not None and owned.group(2) == _HOST and not process_alive(int(owned.group(1)))
