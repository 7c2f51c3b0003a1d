"""Processing in a process of its own, so extraction never takes the SMTP loop's core.

The SMTP side wakes it with a byte on a socket pair. The same socket tells the worker that
its parent is gone (end of file), even after kill -9: it finishes the mail in hand and
exits, and whatever it had not finished stays `received` for the next start. The worker
answers on it with one line per processed mail (status and seconds), for the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import Callable

from inbox.config import Settings
from inbox.logformat import configure_logging
from inbox.sandbox import ExtractionPool
from inbox.stores import open_configured_store
from inbox.worker import Worker
from storage.db import Store

log = logging.getLogger("inbox.worker")
RESTART_DELAY_SECONDS = 1.0
# Processing works off a backlog; the SMTP side answers senders who wait. When the cores are
# busy the kernel runs accept first, and the worker still gets about a tenth of a busy core, so
# a backlog always moves (measured in bench.pairs: 1.13x mails/s to the 250, p99 67 vs 81 ms).
# Its extraction children go lower still (inbox/sandbox.py): they hold no lock accept waits for.
WORKER_NICENESS = 10


class WorkerProcess:
    def __init__(
        self,
        settings: Settings,
        on_processed: Callable[[str, float], None] = lambda status, seconds: None,
        on_crash: Callable[[int], object] = lambda pid: None,
    ) -> None:
        """`on_processed(status, seconds)` runs for each mail the worker reports;
        `on_crash(pid)` runs (in a thread) when the worker died while the service ran."""
        self._settings = settings
        self._on_processed = on_processed
        self._on_crash = on_crash
        self._reports = bytearray()
        self._context = multiprocessing.get_context("spawn")  # no inherited threads or loop
        self._process: multiprocessing.process.BaseProcess | None = None
        self._wake: socket.socket | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        self._process = self._context.Process(
            target=_main, args=(self._settings, theirs), name="inbox-worker", daemon=False
        )
        self._process.start()
        theirs.close()
        self._wake = ours
        self._reports.clear()
        asyncio.get_running_loop().add_reader(ours.fileno(), self._read_reports, ours)

    def _read_reports(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the worker is gone; supervise() restarts it with a new socket
            asyncio.get_running_loop().remove_reader(sock.fileno())
            return
        self._reports += data
        *lines, rest = self._reports.split(b"\n")
        self._reports = bytearray(rest)
        for line in lines:
            status, _, seconds = line.decode(errors="replace").partition(" ")
            with contextlib.suppress(ValueError):
                self._on_processed(status, float(seconds))

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
        while not self._stopping.is_set():
            process, _ = self._started()
            await asyncio.to_thread(process.join)
            if self._stopping.is_set():
                return
            log.error("worker process exited with %s; restarting", process.exitcode)
            try:
                if process.pid is not None:
                    await asyncio.to_thread(self._on_crash, process.pid)
            except Exception:  # the mails it held still come free at the next start
                log.exception("could not record the crash of worker %s", process.pid)
            # The pause ends early when stop() comes; a worker started after it would never be
            # told to stop, and the service would never exit.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), RESTART_DELAY_SECONDS)
            if self._stopping.is_set():
                return
            self._close_wake()
            self.start()

    async def stop(self, timeout: float) -> None:
        self._stopping.set()
        process, _ = self._started()
        process.terminate()  # SIGTERM: finish the mail in hand, then exit
        await asyncio.to_thread(process.join, timeout)
        if process.is_alive():
            process.kill()
        self._close_wake()

    def _close_wake(self) -> None:
        _, wake = self._started()
        with contextlib.suppress(ValueError, OSError):  # the reader may be gone already
            asyncio.get_running_loop().remove_reader(wake.fileno())
        wake.close()


def configured_worker(
    store: Store, settings: Settings, *, on_processed: Callable[[str, float], None] | None = None
) -> tuple[ExtractionPool, Worker]:
    """The worker as `inbox serve` runs it, and its extraction pool (the caller closes it)."""
    pool = ExtractionPool(
        blobs=store.blobs,
        size=settings.workers,
        timeout=settings.parse_timeout,
        memory_mb=settings.parse_memory_mb,
    )
    worker = Worker(
        store,
        pool,
        concurrency=settings.workers,
        lease=settings.lease,
        on_processed=on_processed or (lambda status, seconds: None),
        account_share=settings.account_share,
    )
    return pool, worker


def _main(settings: Settings, wake: socket.socket) -> None:
    os.nice(WORKER_NICENESS)
    configure_logging(settings.log_format)
    asyncio.run(_run(settings, wake))


async def _run(settings: Settings, wake: socket.socket) -> None:
    store = open_configured_store(settings)
    pool, worker = configured_worker(
        store, settings, on_processed=lambda status, seconds: _report(wake, status, seconds)
    )
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


def _report(wake: socket.socket, status: str, seconds: float) -> None:
    with contextlib.suppress(BlockingIOError, OSError):  # a figure lost is better than a stall
        wake.send(f"{status} {seconds:.6f}\n".encode())
