"""The load generator: C persistent SMTP connections sending one mail after another.

Lock-step SMTP (no pipelining), as most invoicing tools' libraries speak it. Latency is
measured from sending MAIL FROM to reading the 250 after the end of DATA.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


class SMTPFailure(Exception):
    """The server answered something other than the expected reply."""


@dataclass
class LoadResult:
    mails: int = 0
    bytes: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)  # monotonic time of each 250
    replies: list[str] = field(default_factory=list)  # the 250 lines, for ids


@dataclass
class Budget:
    """Bounds a run by mail count and by time, shared by all connections; optionally paced."""

    count: int
    deadline: float
    interval: float = 0.0  # seconds between mail starts, 0 for as fast as possible
    first: int = 0  # index of the first mail (those before went in the warm-up)
    started: int = 0
    began: float = field(default_factory=time.monotonic)

    async def take(self) -> int | None:
        """The number of the next mail to send (waiting for its time when paced), or None."""
        if self.started >= self.count or time.monotonic() >= self.deadline:
            return None
        slot = self.started
        self.started += 1
        if self.interval:
            await asyncio.sleep(max(0.0, self.began + slot * self.interval - time.monotonic()))
        return slot


async def drive(
    host: str, port: int, mails: Sequence[bytes], *, sender: str, recipient: str,
    concurrency: int, count: int, seconds: float, warmup: bool = True, rate: float = 0.0,
) -> LoadResult:  # fmt: skip
    """Send up to `count` mails within `seconds`, taking `mails` (dot-stuffed, with their end
    lines) in turn."""
    sessions = [await _Session.open(host, port) for _ in range(concurrency)]
    try:
        warm = len(sessions) if warmup else 0  # one mail per connection, outside the measurement
        await asyncio.gather(*(s.send(mails[i], sender, recipient) for i, s in enumerate(sessions[:warm])))
        result = LoadResult()
        interval = 1 / rate if rate else 0.0
        budget = Budget(count=count, deadline=time.monotonic() + seconds, interval=interval, first=warm)
        start = time.monotonic()
        await asyncio.gather(*(s.loop(mails, sender, recipient, budget, result) for s in sessions))
        result.seconds = time.monotonic() - start
        return result
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


class _Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Session:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        session = cls(reader, writer)
        await session.expect("220")
        await session.command(b"EHLO bench.example\r\n", "250")
        return session

    async def loop(
        self,
        mails: Sequence[bytes],
        sender: str,
        recipient: str,
        budget: Budget,
        result: LoadResult,
    ) -> None:
        while (slot := await budget.take()) is not None:
            data = mails[(budget.first + slot) % len(mails)]
            began = time.monotonic()
            reply = await self.send(data, sender, recipient)
            done = time.monotonic()
            result.mails += 1
            result.bytes += len(data)
            result.latencies.append(done - began)
            result.accepted_at.append(done)
            result.replies.append(reply)

    async def send(self, data: bytes, sender: str, recipient: str) -> str:
        await self.command(f"MAIL FROM:<{sender}>\r\n".encode(), "250")
        await self.command(f"RCPT TO:<{recipient}>\r\n".encode(), "250")
        await self.command(b"DATA\r\n", "354")
        return await self.command(data, "250")

    async def command(self, line: bytes, expected: str) -> str:
        self.writer.write(line)
        return await self.expect(expected)

    async def expect(self, expected: str) -> str:
        while True:
            line = (await self.reader.readline()).decode("utf-8", "replace").rstrip("\r\n")
            if not line.startswith(expected):
                raise SMTPFailure(f"expected {expected}, got {line!r}")
            if line[3:4] != "-":
                return line

    async def close(self) -> None:
        try:
            self.writer.write(b"QUIT\r\n")
            await self.writer.drain()
        finally:
            self.writer.close()
