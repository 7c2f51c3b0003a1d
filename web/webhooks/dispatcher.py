"""The dispatcher: claims due deliveries from the outbox and POSTs them, signed.

At least once: a delivery stays pending until a 2xx is logged for it, so a crash between the
POST and the log sends it again after the lease (same `webhook-id`: receivers deduplicate).
Several dispatchers (processes, machines) share the work through leases, never sending one
delivery at the same moment. Each attempt is logged; non-2xx and errors are retried on the
schedule; a 410 deletes the subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx

from storage.claims import new_worker_id
from storage.db import Store
from storage.hooks import DeliveryJob, claim_delivery, record_attempt
from storage.models import utcnow
from web.webhooks import signing
from web.webhooks.payloads import payload
from web.webhooks.targets import TargetRefused, resolve

log = logging.getLogger("inbox.webhooks")
IDLE_POLL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    timeout: float = 10.0
    retry_waits: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    allow_private: bool = False
    concurrency: int = 8


OnOutcome = Callable[[str], None]
"""Told every attempt's outcome (delivered, retrying, failed, gone, lost): the metrics'
inbox_webhook_deliveries_total{outcome}."""


class Dispatcher:
    def __init__(self, store: Store, settings: DispatchSettings, on_outcome: OnOutcome | None = None) -> None:
        self.store = store
        self.settings = settings
        self.worker = new_worker_id()
        # Long enough for the POST and its log; a dispatcher killed mid-way frees it at the end.
        self.lease = timedelta(seconds=settings.timeout * 3 + 30)
        self._on_outcome = on_outcome or (lambda outcome: None)
        self._wake = asyncio.Event()
        self._stopping = False
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._tasks: set[asyncio.Task] = set()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.settings.timeout, follow_redirects=False) as client:
            while not self._stopping:
                await self._slots.acquire()
                try:
                    job = await asyncio.to_thread(self._claim)
                except Exception:
                    log.exception("could not claim a webhook delivery")
                    job = None
                if job is None:
                    self._slots.release()
                    await self._idle()
                    continue
                task = asyncio.create_task(self._deliver(client, job))
                self._tasks.add(task)
                task.add_done_callback(self._done)
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=self.settings.timeout + 1)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    def _claim(self) -> tuple[DeliveryJob, str] | None:
        with self.store.session() as session:
            job = claim_delivery(session=session, worker=self.worker, lease=self.lease)
            return None if job is None else (job, payload(session, job.event))

    async def _deliver(self, client: httpx.AsyncClient, claimed: tuple[DeliveryJob, str]) -> None:
        job, body = claimed
        started = time.perf_counter()
        status_code, error = None, ""
        try:
            target = await asyncio.to_thread(
                resolve, job.target_url, allow_private=self.settings.allow_private
            )
            timestamp = int(utcnow().timestamp())
            headers = signing.headers(job.secret, job.event.id, timestamp, body)
            headers["host"] = target.host_header()
            response = await client.post(
                target.connect_url(),
                content=body.encode(),
                headers=headers,
                extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
            )
            status_code = response.status_code
        except TargetRefused as err:
            error = str(err)
        except httpx.TimeoutException:
            error = f"no answer within {self.settings.timeout:g} s"
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        duration_ms = int((time.perf_counter() - started) * 1000)
        try:
            outcome = await asyncio.to_thread(self._record, job, status_code, error, duration_ms)
        except Exception:
            log.exception(
                "could not log the attempt of delivery %s; it is sent again after its lease", job.id
            )
            return
        log.info(
            "webhook delivery=%s event=%s status=%s outcome=%s %s",
            job.id,
            job.event.id,
            status_code,
            outcome,
            error,
        )
        if outcome == "retrying":  # come back when it is due rather than at a later poll
            wait = self.settings.retry_waits[job.attempts]
            asyncio.get_running_loop().call_later(wait, self.wake)
        self._on_outcome(outcome)

    def _record(self, job: DeliveryJob, status_code: int | None, error: str, duration_ms: int) -> str:
        with self.store.session() as session:
            return record_attempt(
                session=session,
                delivery_id=job.id,
                worker=self.worker,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                retry_waits=self.settings.retry_waits,
            )
