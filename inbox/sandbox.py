"""A pool of extraction processes, each bounded in time and memory.

A hostile mail can loop or balloon inside pypdf or a ZIP; it does so in a child process that
has an address-space limit and is killed when its time budget runs out. The event loop only
waits on a pipe. Children read the raw mail and write document blobs themselves, so large
payloads never cross the pipe.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from inbox.extract import extract_mail
from inbox.extract.model import MailExtraction
from storage.blobs import BlobStore

EXTRACTION_NICENESS = 10


@dataclass(frozen=True, slots=True)
class Extracted:
    mail: MailExtraction  # with payloads removed
    blobs: dict[str, str]  # part path -> sha256 of the stored document bytes


@dataclass(frozen=True, slots=True)
class ExtractionFailed:
    reason: str


def extract_to_blobs(blobs: BlobStore, raw_sha256: str) -> Extracted:
    """Run extraction on a stored mail and store each document's bytes as a blob."""
    mail = extract_mail(blobs.read(raw_sha256))
    stored: dict[str, str] = {}
    parts = []
    for part in mail.parts:
        if part.payload is not None:
            stored[part.path] = blobs.put(part.payload)
            part = dataclasses.replace(part, payload=None)
        parts.append(part)
    return Extracted(mail=dataclasses.replace(mail, parts=tuple(parts)), blobs=stored)


def _child(conn: Connection, blob_root: str, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Extraction works off a backlog; SMTP replies are what senders wait for. When the cores
    # are busy, the kernel should run the SMTP side first (measured: bench, 250 latency).
    os.nice(EXTRACTION_NICENESS)
    blobs = BlobStore(Path(blob_root))
    while True:
        try:
            raw_sha256 = conn.recv()
        except EOFError:
            return
        try:
            result: Extracted | ExtractionFailed = extract_to_blobs(blobs, raw_sha256)
        except MemoryError:
            result = ExtractionFailed("extraction exceeded its memory bound")
        except Exception as err:  # a bug or an unforeseen input: report it, keep serving
            result = ExtractionFailed(f"extraction error: {type(err).__name__}: {err}"[:500])
        conn.send(result)


class _Slot:
    def __init__(self, context, blob_root: Path, memory_bytes: int) -> None:
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(
            target=_child, args=(child_conn, str(blob_root), memory_bytes), daemon=True
        )
        self.process.start()
        child_conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class ExtractionPool:
    def __init__(self, *, blob_root: Path, size: int, timeout: float, memory_mb: int) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["inbox.extract", "storage.blobs"])
        self._blob_root = blob_root
        self._timeout = timeout
        self._memory = memory_mb * 1024 * 1024
        self._idle: asyncio.Queue[_Slot] = asyncio.Queue()
        self._slots: list[_Slot] = []
        for _ in range(size):
            self._add_slot()

    def _add_slot(self) -> None:
        slot = _Slot(self._context, self._blob_root, self._memory)
        self._slots.append(slot)
        self._idle.put_nowait(slot)

    async def extract(self, raw_sha256: str) -> Extracted | ExtractionFailed:
        slot = await self._idle.get()
        try:
            slot.conn.send(raw_sha256)
            result = await asyncio.wait_for(self._receive(slot.conn), self._timeout)
        except TimeoutError:
            self._replace(slot)
            return ExtractionFailed(f"extraction exceeded its time budget of {self._timeout:g} s")
        except (EOFError, OSError):
            self._replace(slot)
            return ExtractionFailed("extraction process died (memory bound or crash)")
        self._idle.put_nowait(slot)
        return result

    @staticmethod
    async def _receive(conn: Connection):
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
        try:
            await ready
        finally:
            loop.remove_reader(conn.fileno())
        return conn.recv()

    def _replace(self, slot: _Slot) -> None:
        slot.kill()
        self._slots.remove(slot)
        self._add_slot()

    def close(self) -> None:
        for slot in self._slots:
            slot.kill()
        self._slots.clear()
