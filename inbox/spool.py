"""aiosmtpd's SMTP engine with DATA spooled to a file as it arrives, so memory stays flat.

Stock aiosmtpd keeps a whole message in memory (`envelope.original_content`) and reads it
line by line. `SpoolingSMTP` reads DATA in large chunks, decodes it with `DataDecoder`
(aiosmtpd 1.4.6's exact rules: dot-unstuffing, CRLF.CRLF as the only end, line-length and
size limits) and writes it to a temp file while hashing it.

Contract with the handler's `handle_DATA(server, session, envelope)`:
- `envelope.spool` is a `SpooledMessage(path, size, sha256)`; `envelope.content` and
  `envelope.original_content` stay None.
- The file is complete but NOT fsync'd: whoever makes it durable fsyncs it, then
  `os.replace`s it away (the spool directory is on the blob store's filesystem for that).
- The file lives until `handle_DATA` returns; a file still at `path` then is deleted
  (not when the connection was lost meanwhile: an accept in flight may still move it).
- Refused messages never reach the handler: a line too long gets `500 5.5.2`, too much
  data `552 5.3.4` (stock aiosmtpd sends no enhanced code), after the rest of DATA is read.
- If the spool file cannot be written, the rest of DATA is still read (so the session stays
  in step), then `SpoolError` goes to `handle_exception`, which should answer `451 4.3.0`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, Envelope, syntax

from inbox import replies
from inbox.datastream import DataDecoder, DataOutcome

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


class SpoolFile:
    """A temp file in the spool directory, with the size and sha256 of what was written."""

    def __init__(self, directory: Path) -> None:
        fd, name = tempfile.mkstemp(dir=directory, prefix="data-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._sha256.update(data)
        self._file.write(data)
        self.size += len(data)

    def finish(self) -> SpooledMessage:
        self._file.close()
        return SpooledMessage(path=self.path, size=self.size, sha256=self._sha256.hexdigest())

    def discard(self) -> None:
        self._file.close()
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
        decoder = DataDecoder(size_limit=self.data_size_limit, line_limit=self.line_length_limit)
        spool: SpoolFile | None = None
        try:
            spool = await asyncio.to_thread(SpoolFile, self.spool_dir)
            failure = await self._receive(decoder, spool)
            message = await asyncio.to_thread(spool.finish)
        except BaseException:
            if spool is not None:
                spool.discard()  # closing and unlinking a temp file is quick enough here
            raise
        if failure is not None or decoder.outcome is not DataOutcome.NOMINAL:
            await asyncio.to_thread(spool.discard)
            self._set_post_data_state()
            if failure is not None:
                raise SpoolError(f"cannot spool DATA: {failure}") from failure
            await self.push(
                replies.LINE_TOO_LONG
                if decoder.outcome is DataOutcome.TOO_LONG
                else replies.MESSAGE_TOO_LARGE
            )
            return
        await self._deliver(message)

    async def _receive(self, decoder: DataDecoder, spool: SpoolFile) -> OSError | None:
        """Read DATA to its end, writing what the decoder yields. Returns a write error, if any."""
        pending = bytearray()
        failure: OSError | None = None
        while not decoder.done:
            try:
                # Every ".\r\n" ends a chunk, so no chunk runs past the end of DATA.
                chunk = await self._reader.readuntil(b".\r\n")
            except asyncio.LimitOverrunError as overrun:
                chunk = await self._reader.read(overrun.consumed)
            pending += decoder.feed(chunk)
            if len(pending) >= WRITE_BATCH or decoder.done:
                if failure is None:
                    try:
                        await asyncio.to_thread(spool.write, pending)
                    except OSError as err:
                        failure = err  # keep reading: the end of DATA must still be answered
                pending.clear()
        return failure

    async def _deliver(self, message: SpooledMessage) -> None:
        assert isinstance(self.envelope, SpoolEnvelope)
        self.envelope.spool = message
        status = MISSING
        try:
            if "DATA" in self._handle_hooks:
                status = await self._call_handler_hook("DATA")
        except asyncio.CancelledError:
            raise  # connection lost: the handler may still be moving the file in another thread
        except BaseException:
            message.path.unlink(missing_ok=True)
            raise
        message.path.unlink(missing_ok=True)  # still here means the handler did not keep it
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)
