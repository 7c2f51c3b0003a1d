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
from storage.claims import new_worker_id
from storage.db import Store

log = logging.getLogger("inbox.worker")
IDLE_POLL_SECONDS = 1.0  # other processes may add work; new local mail wakes us at once


class Worker:
    """Claims under its own id; the lease outlasts the extraction timeout, so a mail in hand
    never needs its lease renewed (the pool kills an extraction at `parse_timeout`)."""

    def __init__(
        self,
        store: Store,
        pool: ExtractionPool,
        *,
        concurrency: int,
        lease: timedelta,
        on_processed: Callable[[str, float], None] = lambda status, seconds: None,
        account_share: int | None = None,
    ) -> None:
        self.id = new_worker_id()
        self._account_share = account_share
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
        try:
            released = await asyncio.to_thread(pipeline.release_orphans, self._store)
            if released:
                log.info("took back %d mail(s) claimed by a worker that died", released)
        except Exception:  # they come free when their lease ends
            log.exception("could not release the claims of dead workers")
        try:
            await asyncio.gather(*(self._loop() for _ in range(self._concurrency)))
        finally:  # only our own claims: another worker's live claim is never ours to end
            await asyncio.to_thread(pipeline.release_own, self._store, self.id)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                message = await asyncio.to_thread(
                    pipeline.claim, self._store, self.id, self._lease, self._account_share
                )
            except Exception:
                log.exception("could not claim work; retrying")
                message = None
            if message is None:
                await self._idle()
                continue
            started = time.monotonic()
            try:
                status = await pipeline.process(self._store, self._pool, message)
                if status is not None:  # None: another worker took it over and records it
                    self._on_processed(status, time.monotonic() - started)
            except Exception:  # the lease expires and the mail is retried; never lost
                log.exception(
                    "processing id=%s crashed; it will be retried", message.id, extra=about(message.id)
                )

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
