"""Thumbnails made off the request path: a small thread pool runs one bounded child per file.

The first request for a file starts its render (the documents list asks for the whole page
at once); requests wait a moment for it and otherwise get a placeholder. Results, including
failures, are cached in storage, so each file is rendered once.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from storage.blobs import BlobNotFound
from storage.db import Store
from storage.read_models import DocumentRead
from storage.thumbnails import cached_sources, get_thumbnail, save_thumbnail

log = logging.getLogger("web.thumbnails")
RENDERABLE_KINDS = ("pdf", "image")


class Thumbnailer:
    def __init__(self, store: Store, *, workers: int = 2, timeout: float = 15.0) -> None:
        self.store = store
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="thumbnail")
        self._running: dict[str, Future[bytes | None]] = {}
        self._lock = threading.Lock()

    def get(self, doc: DocumentRead, *, wait: float) -> bytes | None:
        """The PNG, waiting up to `wait` seconds for a render; None: not (yet) available."""
        with self.store.session() as session:
            cached = get_thumbnail(session=session, source_sha256=doc.sha256)
        if cached is not None:
            return self.store.blobs.read(cached.png_sha256) if cached.png_sha256 else None
        try:
            return self._start(doc.sha256, doc.kind).result(timeout=wait)
        except FutureTimeout:
            return None

    def prefetch(self, docs: list[DocumentRead]) -> None:
        """Start rendering what a page is about to ask for."""
        wanted = {d.sha256: d.kind for d in docs if d.kind in RENDERABLE_KINDS}
        if not wanted:
            return
        with self.store.session() as session:
            done = cached_sources(session=session, source_sha256s=list(wanted))
        for sha256, kind in wanted.items():
            if sha256 not in done:
                self._start(sha256, kind)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _start(self, sha256: str, kind: str) -> Future[bytes | None]:
        with self._lock:
            future = self._running.get(sha256)
            if future is None:
                future = self._running[sha256] = self._pool.submit(self._render, sha256, kind)
                future.add_done_callback(lambda _: self._forget(sha256))
            return future

    def _forget(self, sha256: str) -> None:
        with self._lock:
            self._running.pop(sha256, None)

    def _render(self, sha256: str, kind: str) -> bytes | None:
        try:
            data = self.store.blobs.read(sha256)
        except BlobNotFound:
            return self._save(sha256, None, "the file is missing from the blob store")
        png, reason = run_renderer(data, [kind], self.timeout)
        return self._save(sha256, png, reason)

    def _save(self, sha256: str, png: bytes | None, reason: str) -> bytes | None:
        png_sha256 = self.store.blobs.put(png) if png else None
        with self.store.session() as session:
            save_thumbnail(session=session, source_sha256=sha256, png_sha256=png_sha256, reason=reason)
        if reason:
            log.info("no thumbnail for %s: %s", sha256, reason)
        return png


def run_renderer(data: bytes, args: list[str], timeout: float) -> tuple[bytes | None, str]:
    """The PNG from a bounded child (web/render_thumbnail.py), or None and why not."""
    try:
        child = subprocess.run(
            [sys.executable, "-m", "web.render_thumbnail", *args],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"rendering took longer than {timeout:g} s"
    if child.returncode != 0 or not child.stdout:
        return None, child.stderr.decode(errors="replace").strip()[-300:] or "renderer failed"
    return child.stdout, ""


def render_page(store: Store, doc: DocumentRead, page_index: int, width: int) -> bytes | None:
    """One page, larger than a thumbnail; not cached in storage (the browser keeps it)."""
    try:
        data = store.blobs.read(doc.sha256)
    except BlobNotFound:
        return None
    png, reason = run_renderer(data, [doc.kind, str(page_index), str(width)], timeout=15.0)
    if png is None:
        log.info("no page %d image for %s: %s", page_index + 1, doc.sha256, reason)
    return png
