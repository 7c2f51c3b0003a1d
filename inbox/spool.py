"""aiosmtpd's SMTP engine with DATA spooled to a file as it arrives, so memory stays flat.

Stock aiosmtpd keeps a whole message in memory (`envelope.original_content`) and reads it
line by line and refuses lines over 1001 octets and bare LF line ends. `SpoolingSMTP` reads
DATA in large chunks, decodes it with `DataDecoder` (Postfix's rules: CRLF.CRLF as the only
end, bare LF stored as CRLF, dot-unstuffing, no line-length limit, the size limit) and writes
it to a temp file while hashing it.

Contract with the handler's `handle_DATA(server, session, envelope)`:
- `envelope.spool` is a `SpooledMessage(path, size, sha256)`; `envelope.content` and
  `envelope.original_content` stay None.
- The file is complete but NOT fsync'd: the blob store's `adopt` makes it durable and
  takes it away (a rename into the file store, an upload elsewhere).
- The file lives until `handle_DATA` returns; a file still at `path` then is deleted. If
  the connection is lost meanwhile, it is deleted too, unless the handler has set
  `envelope.spool_handed_over` (an accept in flight may still move it). A session that
  ends at any point of DATA leaves no file behind.
- Refused messages never reach the handler: too much data gets `552 5.3.4` (stock
  aiosmtpd sends no enhanced code), after the rest of DATA is read.
- If the spool file cannot be created or written, the rest of DATA is still read (so the
  session stays in step), then `SpoolError` goes to `handle_exception`, which should
  answer `451 4.3.0`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from aiosmtpd.smtp import MISSING, SMTP, Envelope, syntax

from inbox import replies
from inbox.datastream import DataDecoder, DataOutcome
from storage.blobs import spool_prefix

log = logging.getLogger("inbox.spool")

# Bytes gathered before one write in a worker thread: fewer thread hops, bounded memory.
WRITE_BATCH = 256 * 1024


@dataclass(frozen=True, slots=True)
class SpooledMessage:
    path: Path
    size: int
    sha256: str


class SpoolError(Exception):
    """The message could not be written to the spool directory."""


class SpoolEnvelope(Envelope):
    def __init__(self) -> None:
        super().__init__()
        self.spool: SpooledMessage | None = None
        # Set by the handler when it hands the file to work that will move it (a durable
        # accept in a thread): from then on, a lost connection must not delete it.
        self.spool_handed_over = False


class SpoolFile:
    """A temp file in the spool directory, with the size and sha256 of what was written.

    `write` runs in a worker thread and does all the file work of one hop: the first call
    creates the file, the call with `last=True` closes it, so a mail under WRITE_BATCH costs
    one thread hand-off for its spool file (not three: create, write, close).
    A failure to create or write it does not raise at once: the client is still sending
    DATA, and its end must be read before any reply. The first error is kept; `finish`
    raises it as SpoolError.
    """

    def __init__(self, directory: Path) -> None:
        self.path: Path | None = None
        self.size = 0
        self._directory = directory
        self._file: BinaryIO | None = None
        self._error: OSError | None = None
        self._sha256 = hashlib.sha256()
        self._discarded = False
        # `discard` may come from the event loop while a `write` runs in its thread (the
        # session ended): the lock keeps a file from being created after it was discarded.
        self._lock = threading.Lock()

    def write(self, data: bytes | bytearray, *, last: bool = False) -> None:
        with self._lock:
            if self._discarded or self._error is not None:
                return
            try:
                if self._file is None:
                    fd, name = tempfile.mkstemp(dir=self._directory, prefix=spool_prefix("data"))
                    self.path = Path(name)
                    self._file = os.fdopen(fd, "wb")
                self._file.write(data)
                if last:
                    self._file.close()
            except OSError as err:
                self._error = err
                return
            self._sha256.update(data)
            self.size += len(data)

    def finish(self) -> SpooledMessage:
        """The complete file, after the `write` with `last=True` (no file work left here)."""
        if self._error is not None or self.path is None:
            raise SpoolError(f"cannot spool DATA: {self._error}") from self._error
        return SpooledMessage(path=self.path, size=self.size, sha256=self._sha256.hexdigest())

    def discard(self) -> None:
        with self._lock:
            self._discarded = True
            with contextlib.suppress(OSError):
                if self._file is not None:
                    self._file.close()
            if self.path is not None:
                self.path.unlink(missing_ok=True)


class SpoolingSMTP(SMTP):
    """`aiosmtpd.smtp.SMTP` whose DATA goes to `spool_dir` instead of memory."""

    def __init__(self, handler: Any, *, spool_dir: Path, **kwargs: Any) -> None:
        if kwargs.get("decode_data"):
            raise ValueError("SpoolingSMTP stores bytes; decode_data must stay False")
        super().__init__(handler, **kwargs)
        self.spool_dir = spool_dir

    def _create_envelope(self) -> Envelope:
        return SpoolEnvelope()

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        decoder = DataDecoder(size_limit=self.data_size_limit)
        spool = SpoolFile(self.spool_dir)
        try:
            await self._receive(decoder, spool)
            if decoder.outcome is DataOutcome.NOMINAL:
                message = spool.finish()
        except BaseException:
            spool.discard()  # closing and unlinking a temp file is quick enough here
            self._set_post_data_state()
            raise
        if decoder.outcome is not DataOutcome.NOMINAL:
            await asyncio.to_thread(spool.discard)
            self._set_post_data_state()
            await self.push(replies.MESSAGE_TOO_LARGE)
            return
        await self._deliver(message)

    async def _receive(self, decoder: DataDecoder, spool: SpoolFile) -> None:
        """Read DATA to its end, writing what the decoder yields; the last write closes the file."""
        pending = bytearray(self._trace())
        while not decoder.done:
            try:
                # Every ".\r\n" ends a chunk, so no chunk runs past the end of DATA.
                chunk = await self._reader.readuntil(b".\r\n")
            except asyncio.LimitOverrunError as overrun:
                chunk = await self._reader.read(overrun.consumed)
            pending += decoder.feed(chunk)
            last = decoder.done and decoder.outcome is DataOutcome.NOMINAL
            if len(pending) >= WRITE_BATCH or last:
                await asyncio.to_thread(spool.write, pending, last=last)
                pending.clear()

    def _trace(self) -> bytes:
        """Header lines the server puts in front of the mail's own (none here)."""
        return b""

    async def _deliver(self, message: SpooledMessage) -> None:
        assert isinstance(self.envelope, SpoolEnvelope)
        self.envelope.spool = message
        status = MISSING
        try:
            if "DATA" in self._handle_hooks:
                status = await self._call_handler_hook("DATA")
        except asyncio.CancelledError:  # connection lost
            if not self.envelope.spool_handed_over:
                message.path.unlink(missing_ok=True)
            raise  # else the accept it was handed to may still be moving it, in another thread
        except BaseException:
            message.path.unlink(missing_ok=True)
            raise
        message.path.unlink(missing_ok=True)  # still here means the handler did not keep it
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)
