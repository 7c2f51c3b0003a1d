"""The processing loop: keeps claiming received mails and runs them through the pipeline, and
corrections to learn from (inbox/teach.py), one at a time beside the mails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from inbox import pipeline, teach
from inbox.logformat import about
from inbox.sandbox import Extracted, ExtractionFailed, ExtractionPool
from storage.claims import new_worker_id
from storage.db import Store
from storage.models import Message

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
        self._stopped = asyncio.Event()

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
            await asyncio.gather(self._mails(), self._teach_loop())
        finally:  # only our own claims: another worker's live claim is never ours to end
            await asyncio.to_thread(pipeline.release_own, self._store, self.id)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._stopped.set()

    async def _mails(self) -> None:
        """Keeps up to `concurrency` mails in extraction. Each round records the results that
        came in and claims mails for the free slots in one transaction (pipeline.settle): under
        a backlog, one commit settles several mails instead of a claim and an outcome each."""
        reading: dict[asyncio.Task, tuple[Message, float]] = {}
        results: dict[str, Extracted | ExtractionFailed] = {}
        started: dict[str, float] = {}
        while True:
            want = 0 if self._stopping else self._concurrency - len(reading)
            claimed: list[pipeline.Claimed] = []
            if results or want:
                self._wake.clear()  # a wake-up from now on is for mail this round may miss
                try:
                    settled = await asyncio.to_thread(
                        pipeline.settle, self._store, self.id, results, want, self._lease, self._account_share
                    )
                except Exception:  # the leases end and the mails are retried; never lost
                    log.exception("could not record %d result(s) or claim work; retrying", len(results))
                    settled = pipeline.Settled({message_id: None for message_id in results}, [])
                    await self._idle()
                for message_id, status in settled.statuses.items():
                    began = started.pop(message_id)
                    if status is not None:  # None: another worker took it over and records it
                        self._on_processed(status, time.monotonic() - began)
                results = {}
                claimed = settled.claimed
            for job in claimed:
                task = asyncio.create_task(pipeline.extract(self._pool, job.message, job.hints))
                reading[task] = (job.message, time.monotonic())
            if not reading:
                if self._stopping:
                    return
                if not claimed:
                    await self._idle()
                continue
            for task in await self._next_finished(reading, room=len(reading) < self._concurrency):
                message, began = reading.pop(task)
                try:
                    results[message.id] = task.result()
                    started[message.id] = began
                except Exception:  # the lease expires and the mail is retried; never lost
                    log.exception(
                        "processing id=%s crashed; it will be retried", message.id, extra=about(message.id)
                    )

    async def _next_finished(self, reading: dict[asyncio.Task, tuple[Message, float]], room: bool) -> set:
        """The extractions that finished; with `room` for more, also back (maybe with none) when
        new mail is announced or the idle poll comes round."""
        if not room or self._stopping:
            finished, _ = await asyncio.wait(reading, return_when=asyncio.FIRST_COMPLETED)
            return finished
        woken = asyncio.create_task(self._wake.wait())
        try:
            finished, _ = await asyncio.wait(
                {*reading, woken}, timeout=IDLE_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            woken.cancel()
        return finished - {woken}

    async def _teach_loop(self) -> None:
        """Corrections are rare and small: one at a time, polled (the web that records them
        may be another process); a lesson's lease outlasts the pool's time bound."""
        while not self._stopping:
            try:
                lesson = await asyncio.to_thread(teach.claim, self._store, self.id, self._lease)
            except Exception:
                log.exception("could not claim a correction to learn from; retrying")
                lesson = None
            if lesson is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), IDLE_POLL_SECONDS)
                continue
            try:
                hint = await teach.teach(self._store, self._pool, lesson)
            except Exception:  # the store failed: the lease ends and another try comes
                log.exception("could not finish learning from document %s", lesson.document_id)
                continue
            log.info("correction of %s on %s taught: %s", lesson.field, lesson.document_id, hint)

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
