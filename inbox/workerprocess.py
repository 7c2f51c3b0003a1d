"""Processing in a process of its own, so extraction never takes the SMTP loop's core.

The SMTP side wakes it with a byte on a socket pair. The same socket tells the worker that
its parent is gone (end of file), even after kill -9: it finishes the mail in hand and
exits, and whatever it had not finished stays `received` for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import socket

from inbox.config import Settings
from inbox.sandbox import ExtractionPool
from inbox.stores import open_configured_store
from inbox.worker import Worker

log = logging.getLogger("inbox.worker")
RESTART_DELAY_SECONDS = 1.0


class WorkerProcess:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context = multiprocessing.get_context("spawn")  # no inherited threads or loop
        self._process: multiprocessing.process.BaseProcess | None = None
        self._wake: socket.socket | None = None
        self._stopping = False

    def start(self) -> None:
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        self._process = self._context.Process(
            target=_main, args=(self._settings, theirs), name="inbox-worker", daemon=False
        )
        self._process.start()
        theirs.close()
        self._wake = ours

    def _started(self) -> tuple[multiprocessing.process.BaseProcess, socket.socket]:
        if self._process is None or self._wake is None:
            raise RuntimeError("the worker process was never started")
        return self._process, self._wake

    def wake(self) -> None:
        _, wake = self._started()
        with contextlib.suppress(BlockingIOError, OSError):  # a full pipe already holds a wake-up
            wake.send(b"\0")

    async def supervise(self) -> None:
        """Restart the worker if it dies while the service runs."""
        while not self._stopping:
            process, wake = self._started()
            await asyncio.to_thread(process.join)
            if self._stopping:
                return
            log.error("worker process exited with %s; restarting", process.exitcode)
            await asyncio.sleep(RESTART_DELAY_SECONDS)
            wake.close()
            self.start()

    async def stop(self, timeout: float) -> None:
        self._stopping = True
        process, wake = self._started()
        process.terminate()  # SIGTERM: finish the mail in hand, then exit
        await asyncio.to_thread(process.join, timeout)
        if process.is_alive():
            process.kill()
        wake.close()


def _main(settings: Settings, wake: socket.socket) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_run(settings, wake))


async def _run(settings: Settings, wake: socket.socket) -> None:
    store = open_configured_store(settings)
    pool = ExtractionPool(
        blobs=store.blobs,
        size=settings.workers,
        timeout=settings.parse_timeout,
        memory_mb=settings.parse_memory_mb,
    )
    worker = Worker(store, pool, concurrency=settings.workers, lease=settings.lease)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, worker.stop)
    loop.add_signal_handler(signal.SIGINT, lambda: None)  # the parent decides when we stop
    wake.setblocking(False)

    def on_wake() -> None:
        try:
            data = wake.recv(4096)
        except BlockingIOError:
            return
        if not data:  # the parent is gone
            loop.remove_reader(wake.fileno())
            worker.stop()
            return
        worker.wake()

    loop.add_reader(wake.fileno(), on_wake)
    try:
        await worker.run()
    finally:
        pool.close()
        store.engine.dispose()
