"""The processing loop: keeps claiming received mails and runs them through the pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from inbox import pipeline
from inbox.logformat import about
from inbox.sandbox import ExtractionPool
from storage.db import Store

log = logging.getLogger("inbox.worker")
IDLE_POLL_SECONDS = 1.0  # other processes may add work; new local mail wakes us at once


class Worker:
    def __init__(
        self,
        store: Store,
        pool: ExtractionPool,
        *,
        concurrency: int,
        lease: timedelta,
        on_processed: Callable[[str, float], None] = lambda status, seconds: None,
    ) -> None:
        self._store = store
        self._on_processed = on_processed  # status, seconds: for the metrics
        self._pool = pool
        self._concurrency = concurrency
        self._lease = lease
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        await asyncio.gather(*(self._loop() for _ in range(self._concurrency)))

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                message = await asyncio.to_thread(pipeline.claim, self._store, self._lease)
            except Exception:
                log.exception("could not claim work; retrying")
                message = None
            if message is None:
                await self._idle()
                continue
            started = time.monotonic()
            try:
                status = await pipeline.process(self._store, self._pool, message)
                self._on_processed(status, time.monotonic() - started)
            except Exception:  # the lease expires and the mail is retried; never lost
                log.exception(
                    "processing id=%s crashed; it will be retried", message.id, extra=about(message.id)
                )

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
