"""Blobs in an S3-compatible bucket: s3://BUCKET/PREFIX/<sha256>.

boto3 rather than obstore: it is the reference client every S3-compatible server (MinIO, Ceph,
Garage, R2, …) tests against, its transfer manager does multipart uploads with retries, it reads
credentials the way operators expect (AWS_* variables, profiles, instance roles), and the test
server (moto) already depends on it, so it adds nothing to the tree. Its clients are thread-safe,
which suits the stores' callers (threads off the event loop).

A PUT that has returned is durable (S3's contract), so `adopt` returns only after every upload
has; the spool directory is local (DATA_DIR/spool). Every call has connect and read timeouts and
a bounded number of attempts: a dead endpoint is an error within seconds, never a hang.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.blobs import (
    CHUNK,
    S3_TIMEOUT_SECONDS,
    BlobConfigError,
    BlobNotFound,
    BlobStoreUnavailable,
    Spooled,
    checked,
    sweep_spool,
)

MULTIPART_BYTES = 8 * 1024 * 1024  # larger blobs go up in parts of this size, several at a time
_MISSING = {"404", "NoSuchKey", "NotFound"}
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class S3Settings:
    """Where the bucket is and how long to wait for it. Credentials and region come from the
    usual AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_PROFILE, …)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None  # INBOX_S3_ENDPOINT_URL; None: AWS itself
    timeout: float = S3_TIMEOUT_SECONDS  # INBOX_S3_TIMEOUT
    attempts: int = 3  # tries of one request, with backoff, before it is an error


def s3_location(url: str) -> tuple[str, str]:
    """(bucket, key prefix) of an `s3://BUCKET/PREFIX` INBOX_BLOB_URL; an error naming it."""
    parts = urlsplit(url)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if parts.scheme != "s3" or not _BUCKET.fullmatch(bucket) or parts.query or parts.fragment:
        raise BlobConfigError(f"INBOX_BLOB_URL: {url!r} is not s3://BUCKET[/PREFIX] with a valid bucket name")
    return bucket, prefix


class S3BlobStore:
    def __init__(self, settings: S3Settings, spool_dir: Path) -> None:
        self.settings = settings
        self.spool_dir = spool_dir
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self._prefix = settings.prefix.strip("/") + "/" if settings.prefix.strip("/") else ""
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint_url,
            config=Config(
                connect_timeout=settings.timeout,
                read_timeout=settings.timeout,
                retries={"max_attempts": settings.attempts, "mode": "standard"},
                # Servers other than AWS mostly expect the bucket in the path, not the host name.
                s3={"addressing_style": "path" if settings.endpoint_url else "auto"},
                max_pool_connections=32,
            ),
        )
        self._transfer = TransferConfig(
            multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES, max_concurrency=4
        )
        self._uploads = ThreadPoolExecutor(max_workers=16, thread_name_prefix="s3-put")

    def key(self, sha256: str) -> str:
        return self._prefix + checked(sha256)

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        with _unavailable_on_failure():
            self._client.upload_fileobj(
                io.BytesIO(data), self.settings.bucket, self.key(sha256), Config=self._transfer
            )
        return sha256

    def adopt(self, files: Sequence[Spooled]) -> None:
        """Upload every spooled file (several at once, large ones in parts), then delete them."""
        keys = [self.key(f.sha256) for f in files]  # a bad digest fails before any upload
        uploads = [
            self._uploads.submit(
                self._client.upload_file, str(f.path), self.settings.bucket, key, Config=self._transfer
            )
            for f, key in zip(files, keys, strict=True)
        ]
        with _unavailable_on_failure():
            for upload in uploads:
                upload.result()
        for f in files:
            f.path.unlink(missing_ok=True)

    def open(self, sha256: str) -> BinaryIO:
        body = self._get(sha256)
        return io.BufferedReader(_BodyReader(body), buffer_size=CHUNK)

    def stream(self, sha256: str, chunk: int = CHUNK) -> Iterator[bytes]:
        return _chunks(self._get(sha256), chunk)  # requested now: a missing blob raises here

    def read(self, sha256: str) -> bytes:
        body = self._get(sha256)
        with contextlib.closing(body):
            return body.read()

    def exists(self, sha256: str) -> bool:
        try:
            self._head(sha256)
        except BlobNotFound:
            return False
        return True

    def size(self, sha256: str) -> int:
        return int(self._head(sha256)["ContentLength"])

    def delete(self, sha256: str) -> None:
        with _unavailable_on_failure():
            self._client.delete_object(Bucket=self.settings.bucket, Key=self.key(sha256))

    def sweep_tmp(self, older_than: float) -> int:
        return sweep_spool(self.spool_dir, older_than)

    def _get(self, sha256: str):
        with _unavailable_on_failure(sha256):
            return self._client.get_object(Bucket=self.settings.bucket, Key=self.key(sha256))["Body"]

    def _head(self, sha256: str) -> dict:
        with _unavailable_on_failure(sha256):
            return self._client.head_object(Bucket=self.settings.bucket, Key=self.key(sha256))


@contextlib.contextmanager
def _unavailable_on_failure(sha256: str | None = None) -> Iterator[None]:
    """The client's errors as the store's: BlobNotFound when the server says the blob `sha256`
    is not there, BlobStoreUnavailable for anything else (no answer, a refusal, a 5xx, a body
    cut short), which is the store's outage, not the blob's fault."""
    try:
        yield
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        if sha256 is not None and code in _MISSING:
            raise BlobNotFound(sha256) from err
        raise BlobStoreUnavailable(f"S3: {err}") from err
    except (BotoCoreError, Boto3Error) as err:
        raise BlobStoreUnavailable(f"S3: {err}") from err


class _BodyReader(io.RawIOBase):
    """botocore's streaming body as a raw binary stream (so it can be buffered and closed)."""

    def __init__(self, body) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with _unavailable_on_failure():
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _chunks(body, size: int) -> Iterator[bytes]:
    with contextlib.closing(body), _unavailable_on_failure():
        yield from body.iter_chunks(size)
