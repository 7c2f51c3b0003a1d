"""A pool of extraction processes, each bounded in time and memory.

A hostile mail can loop or balloon inside pypdf or a ZIP; it does so in a child process that
has an address-space limit and is killed when its time budget runs out. The event loop only
waits on a pipe.

Children are pure: raw bytes in (streamed down the pipe in chunks), the extraction with its
document payloads out. The parent reads and writes the blob store. So a child holds no
store, no path and no credentials (the parser of hostile input could otherwise read every
account's blobs, and on S3 it would need the keys), and the same children serve any store.
The price is copying a mail and its documents through a pipe: measured 0.18 s (median) for
25 MiB down and 18 MiB back on a busy 2-core machine, next to seconds of parsing at that size.

The same children learn from corrections (`learn`): one document in, where its supplier prints
the corrected field out, under the same bounds, since the document is as untrusted as the mail.

A mail is read part by part (MIME node by node) and the child reports each one as it goes,
so a part that is too slow, too large or crashes its child costs only itself: it gets its
own decision, the parts read before it are kept, and a fresh child reads the ones after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import resource
import socket
import struct
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

from inbox.extract import OpenedMail, decide_node, open_mail, placeholder
from inbox.extract.hints import Hint, learn
from inbox.extract.mime import Node
from inbox.extract.model import Decision, MailExtraction, Part
from inbox.extract.ocr import OcrAllowance
from inbox.extract.reading import layout_of
from storage.blobs import BlobNotFound, BlobStore

HintBook = dict[str, tuple[Hint, ...]]  # sender address -> what its corrections taught
EXTRACTION_NICENESS = 10
PIPE_CHUNK = 1024 * 1024
SMALL_MESSAGE = 16384  # an answer up to this size is read on the loop, not in a thread


@dataclass(frozen=True, slots=True)
class Extracted:
    mail: MailExtraction  # with payloads removed
    blobs: dict[str, str]  # part path -> sha256 of the stored document bytes
    unread: tuple[str, ...] = ()  # parts cut short by the time or memory bound, as "name (decision)"


@dataclass(frozen=True, slots=True)
class ExtractionFailed:
    reason: str
    transient: bool = False  # the mail is not at fault (no space left, ...): try again later


# What a child reports while it reads one mail, in this order: Opened, then Started and
# Decided for each node, then Finished. ExtractionFailed instead ends the mail at once.
# Events go in messages of several (a part's Decided with the next one's Started): the parent
# still knows which part is in hand whenever the child goes quiet, with half the messages.
@dataclass(frozen=True, slots=True)
class Opened:
    header: MailExtraction  # without parts
    pending: tuple[Part, ...]  # a placeholder for each node still to read, in order


@dataclass(frozen=True, slots=True)
class Started:
    path: str


@dataclass(frozen=True, slots=True)
class Decided:
    path: str
    parts: tuple[Part, ...]  # with the documents' payloads, which the parent stores
    cut_short: bool = False  # the child ran out of memory or crashed reading it


@dataclass(frozen=True, slots=True)
class Finished:
    pass


@dataclass(frozen=True, slots=True)
class Learn:
    """Instead of a mail: find this corrected value on the document that follows."""

    field: str
    value: str | date | Decimal


class LearningFailed(Exception):
    """The document could not be read within the bounds, or its reading failed."""


def _receive_mail(conn: Connection) -> bytes:
    """Chunks until an empty one (see `ExtractionPool._send_mail`)."""
    chunks = []
    while chunk := conn.recv_bytes():
        chunks.append(chunk)
    return b"".join(chunks)


def _child(conn: Connection, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Extraction works off a backlog; SMTP replies are what senders wait for. When the cores
    # are busy, the kernel should run the SMTP side first (measured: bench, 250 latency).
    os.nice(EXTRACTION_NICENESS)
    while True:
        try:
            request: tuple[frozenset[str], HintBook] | Learn = conn.recv()
            raw = _receive_mail(conn)
        except EOFError:
            return
        if isinstance(request, Learn):
            _learn(conn, raw, request)
        else:
            _read_mail(conn, raw, *request)


def _learn(conn: Connection, document: bytes, request: Learn) -> None:
    try:
        layout = layout_of(document, OcrAllowance())
        conn.send(learn(layout, request.field, request.value) if layout is not None else None)
    except MemoryError:
        conn.send(ExtractionFailed("reading the document needed more memory than it is allowed"))
    except Exception as err:  # a bug or an unforeseen input: report it, keep serving
        conn.send(ExtractionFailed(f"could not read the document: {type(err).__name__}: {err}"[:500]))


def _read_mail(conn: Connection, raw: bytes, skip: frozenset[str], hint_book: HintBook) -> None:
    """Read one mail node by node, reporting each step, skipping nodes decided before;
    `hint_book` holds what corrections taught per sender."""
    try:
        opened = open_mail(raw, hint_book)
    except MemoryError:
        conn.send((ExtractionFailed("extraction exceeded its memory bound"),))
        return
    except Exception as err:  # a bug or an unforeseen input: report it, keep serving
        conn.send((ExtractionFailed(f"extraction error: {type(err).__name__}: {err}"[:500]),))
        return
    del raw
    nodes = [node for node in opened.nodes if node.path not in skip]
    told: list[Opened | Decided] = [Opened(opened.header, tuple(placeholder(node) for node in nodes))]
    for node in nodes:
        conn.send((*told, Started(node.path)))
        parts, cut_short = _decide(opened, node)
        told = [Decided(node.path, tuple(parts), cut_short)]
    conn.send((*told, Finished()))


def _decide(opened: OpenedMail, node: Node) -> tuple[list[Part], bool]:
    try:
        return decide_node(opened, node), False
    except MemoryError:
        reason = "reading it needed more memory than extraction is allowed"
        return [dataclasses.replace(placeholder(node), decision=Decision.TOO_LARGE, reason=reason)], True
    except Exception as err:  # a bug or an unforeseen input in this part only
        reason = f"could not be read: {type(err).__name__}: {err}"[:500]
        return [dataclasses.replace(placeholder(node), decision=Decision.CORRUPT, reason=reason)], True


Event = Opened | Started | Decided | Finished | ExtractionFailed


def _has_payload(events: tuple[Event, ...]) -> bool:
    return any(isinstance(e, Decided) and any(p.payload is not None for p in e.parts) for e in events)


def _store_events(blobs: BlobStore, events: tuple[Event, ...]) -> list[tuple[Event, dict[str, str]]]:
    """Each event, its documents' bytes stored as blobs, with their sha256 by part path."""
    stored: list[tuple[Event, dict[str, str]]] = []
    for event in events:
        if isinstance(event, Decided):
            parts, blob_ids = _store_payloads(blobs, event.parts)
            stored.append((dataclasses.replace(event, parts=parts), blob_ids))
        else:
            stored.append((event, {}))
    return stored


def _store_payloads(blobs: BlobStore, parts: tuple[Part, ...]) -> tuple[tuple[Part, ...], dict[str, str]]:
    """Documents' bytes become blobs; the extraction keeps only their sha256."""
    stored: dict[str, str] = {}
    light = []
    for part in parts:
        if part.payload is not None:
            stored[part.path] = blobs.put(part.payload)
            part = dataclasses.replace(part, payload=None)
        light.append(part)
    return tuple(light), stored


class _Progress:
    """The parent's record of one mail's reading, across the fresh children it may need."""

    def __init__(self, timeout: float, deadline: float) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.header: MailExtraction | None = None
        self.placeholders: dict[str, Part] = {}  # every node, in the mail's order
        self.decided: dict[str, tuple[Part, ...]] = {}
        self.blobs: dict[str, str] = {}
        self.unread: list[str] = []
        self.current: str | None = None

    def on(self, event: Opened | Started | Decided, blobs: dict[str, str]) -> None:
        """`blobs`: the sha256 of a Decided event's documents, stored by the caller."""
        if isinstance(event, Opened):
            self.header = self.header or event.header
            for part in event.pending:
                self.placeholders.setdefault(part.path, part)
        elif isinstance(event, Started):
            self.current = event.path
        else:
            self.decided[event.path] = event.parts
            self.blobs.update(blobs)
            if event.cut_short:
                self.unread.extend(_described(part) for part in event.parts)
            self.current = None

    def allowance(self, now: float) -> float:
        """How long the next step may take. A part may use half of what is left of the mail's
        budget, all of it when no part comes after it: the parts after a slow one keep time."""
        left = self.deadline - now
        if self.current is None or self._last_pending(self.current):
            return left
        return left / 2

    def _last_pending(self, path: str) -> bool:
        return all(p in self.decided or p == path for p in self.placeholders)

    def cut(self, decision: Decision, reason: str, now: float) -> Extracted | ExtractionFailed | None:
        """The child was lost: the part in hand gets `decision`. Returns the result when
        nothing is left to try, None when a fresh child should read the rest."""
        if self.header is None:  # lost while opening the mail: nothing to keep apart
            return ExtractionFailed(reason)
        if self.current is None:  # lost between parts (a fresh child re-opening it): stop here
            now = self.deadline
        else:
            self._give(self.current, decision, reason)
            self.current = None
        if now < self.deadline:
            return None
        for path in self.placeholders:
            if path not in self.decided:
                self._give(path, Decision.TOO_SLOW, "not read: the mail's time budget was used up")
        return self.result()

    def _give(self, path: str, decision: Decision, reason: str) -> None:
        part = dataclasses.replace(self.placeholders[path], decision=decision, reason=reason)
        self.decided[path] = (part,)
        self.unread.append(_described(part))

    @property
    def skip(self) -> frozenset[str]:
        return frozenset(self.decided)

    def result(self) -> Extracted:
        assert self.header is not None
        parts = tuple(part for path in self.placeholders for part in self.decided.get(path, ()))
        mail = dataclasses.replace(self.header, parts=parts)
        return Extracted(mail=mail, blobs=self.blobs, unread=tuple(self.unread))


def _described(part: Part) -> str:
    return f"{part.filename or part.path} ({part.decision})"


class _Slot:
    def __init__(self, context: Any, memory_bytes: int) -> None:
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=_child, args=(child_conn, memory_bytes), daemon=True)
        with _bare_main():
            self.process.start()
        child_conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


@contextlib.contextmanager
def _bare_main() -> Iterator[None]:
    """Start a child without the parent's main program. multiprocessing re-runs `__main__` in
    every child it starts (the `inbox` script, or `python -m bench.drain`, imports the whole
    app: measured about 1.2 s of CPU per child); a child needs only its own code, which the
    fork server has already imported. A bare module names neither a file nor a module to run."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class ExtractionPool:
    def __init__(self, *, blobs: BlobStore, size: int, timeout: float, memory_mb: int) -> None:
        self._context = multiprocessing.get_context("forkserver")
        # The children's code is imported once, in the fork server: unpickling a child's target
        # imports this module (and the store's, for the parent's side), which every child
        # otherwise did on its own (measured: most of a fresh child's CPU).
        self._context.set_forkserver_preload(["inbox.sandbox"])
        self._blobs = blobs
        self._timeout = timeout
        self._memory = memory_mb * 1024 * 1024
        self._idle: asyncio.Queue[_Slot] = asyncio.Queue()
        self._slots: list[_Slot] = []
        for _ in range(size):
            self._add_slot()

    def _add_slot(self) -> None:
        slot = _Slot(self._context, self._memory)
        self._slots.append(slot)
        self._idle.put_nowait(slot)

    async def extract(
        self, raw_sha256: str, hint_book: HintBook | None = None
    ) -> Extracted | ExtractionFailed:
        """Read a mail part by part within its time budget; a part that is too slow, too large
        or crashes its child gets its own decision and the other parts are kept. `hint_book`
        holds what corrections taught per sender."""
        loop = asyncio.get_running_loop()
        progress = _Progress(self._timeout, loop.time() + self._timeout)
        while True:
            slot = await self._idle.get()
            result = await self._read(slot, raw_sha256, progress, hint_book or {})
            if result is not None:
                return result

    async def _read(
        self, slot: _Slot, raw_sha256: str, progress: _Progress, hint_book: HintBook
    ) -> Extracted | ExtractionFailed | None:
        """One child's share of the reading; None when a fresh child must read the rest."""
        loop = asyncio.get_running_loop()
        try:
            await asyncio.to_thread(self._send_mail, slot.conn, raw_sha256, progress.skip, hint_book)
        except BaseException as err:
            self._replace(slot)
            if not isinstance(err, Exception):
                raise
            return _unsent(err)
        while True:
            allowance = progress.allowance(loop.time())
            try:
                events = await asyncio.wait_for(self._receive(slot.conn), max(allowance, 0))
                if _has_payload(events):  # writing and fsyncing blobs: off the loop
                    stored = await asyncio.to_thread(_store_events, self._blobs, events)
                else:
                    stored = _store_events(self._blobs, events)
            except TimeoutError:
                self._replace(slot)
                reason = (
                    f"reading it took longer than {allowance:.3g} s"
                    if progress.current
                    else f"extraction exceeded its time budget of {self._timeout:g} s"
                )
                return progress.cut(Decision.TOO_SLOW, reason, loop.time())
            except (EOFError, ConnectionError):
                self._replace(slot)
                reason = "extraction process died (memory bound or crash)"
                return progress.cut(Decision.CORRUPT, reason, loop.time())
            except OSError as err:  # storing a document: no space left, ...: not the mail's fault
                self._replace(slot)
                return ExtractionFailed(f"could not store documents: {err}"[:500], transient=True)
            except BaseException:  # cancelled: the child may be mid-mail, start it afresh
                self._replace(slot)
                raise
            for event, blobs in stored:
                if isinstance(event, Finished | ExtractionFailed):
                    self._idle.put_nowait(slot)
                    return progress.result() if isinstance(event, Finished) else event
                progress.on(event, blobs)

    async def learn(self, document_sha256: str, field: str, value: str | date | Decimal) -> Hint | None:
        """Where the document prints the corrected `value` of `field` (None: not printed
        there), read in a child within the extraction's time and memory bounds; LearningFailed
        when it could not be read (a child that ran over is replaced)."""
        slot = await self._idle.get()
        try:
            await asyncio.to_thread(self._send, slot.conn, document_sha256, Learn(field, value))
            answer = await asyncio.wait_for(self._receive(slot.conn), self._timeout)
        except TimeoutError:
            self._replace(slot)
            raise LearningFailed(f"reading the document took longer than {self._timeout:g} s") from None
        except (EOFError, ConnectionError):
            self._replace(slot)
            raise LearningFailed("the reading process died (memory bound or crash)") from None
        except BaseException:
            self._replace(slot)
            raise
        self._idle.put_nowait(slot)
        if isinstance(answer, ExtractionFailed):
            raise LearningFailed(answer.reason)
        if answer is not None and not isinstance(answer, Hint):
            raise LearningFailed(f"unexpected answer from the reading process: {type(answer).__name__}")
        return answer

    def _send_mail(
        self, conn: Connection, raw_sha256: str, skip: frozenset[str], hint_book: HintBook
    ) -> None:
        """The nodes already decided and the hints, then the raw mail streamed down the pipe:
        the parent never holds it whole."""
        self._send(conn, raw_sha256, (skip, hint_book))

    def _send(self, conn: Connection, sha256: str, request: object) -> None:
        conn.send(request)
        for chunk in self._blobs.stream(sha256, PIPE_CHUNK):
            conn.send_bytes(chunk)
        conn.send_bytes(b"")

    @staticmethod
    async def _receive(conn: Connection) -> Any:
        """Some events of a mail's reading, or a learning's answer."""
        # Wait for the child without a thread, then read its answer: a small one (already
        # whole in the pipe) at once, a large one (a document, still coming) in a thread.
        loop = asyncio.get_running_loop()
        ready = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(conn.fileno(), wake)
        try:
            await ready
        finally:
            loop.remove_reader(conn.fileno())
        if _small_message_waiting(conn):
            return conn.recv()
        return await asyncio.to_thread(conn.recv)

    def _replace(self, slot: _Slot) -> None:
        slot.kill()
        self._slots.remove(slot)
        self._add_slot()

    def pids(self) -> list[int]:
        """The extraction processes now serving (for measurements)."""
        return [slot.process.pid for slot in self._slots if slot.process.pid is not None]

    def close(self) -> None:
        for slot in self._slots:
            slot.kill()
        self._slots.clear()


def _small_message_waiting(conn: Connection) -> bool:
    """Whether the next message in `conn` is small and already whole in the socket, so that
    reading it cannot block the loop (multiprocessing frames a message as a 4-byte length, then
    the bytes)."""
    peek = socket.socket(fileno=conn.fileno())
    try:
        waiting = peek.recv(4 + SMALL_MESSAGE, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return False
    finally:
        peek.detach()  # the fd stays the connection's
    if len(waiting) < 4:
        return False
    size = struct.unpack("!i", waiting[:4])[0]
    return 0 <= size <= SMALL_MESSAGE and len(waiting) >= 4 + size


def _unsent(err: Exception) -> ExtractionFailed:
    """The mail could not be handed to a child: gone for good, unreadable for now, or the
    child died taking it (the mail's doing, like any death in the middle of it)."""
    if isinstance(err, BlobNotFound):
        return ExtractionFailed(
            f"the raw mail is missing from the blob store: {type(err).__name__}: {err}"[:500]
        )
    reason = f"could not hand the mail to extraction: {type(err).__name__}: {err}"[:500]
    transient = isinstance(err, OSError) and not isinstance(err, ConnectionError)
    return ExtractionFailed(reason, transient)
