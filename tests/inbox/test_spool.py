"""SpoolingSMTP against stock aiosmtpd: the same DATA streams must give the same mails and codes.

Both servers listen on loopback; a raw asyncio-streams client sends each stream to both
(smtplib would normalise line endings, hiding exactly what is tested here).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inbox import replies
from inbox.spool import SpoolingSMTP

SMALL_LIMIT = 3000  # a data_size_limit that the generated streams straddle


@dataclass
class RecordingHandler:
    """Writes every mail it is handed to `directory` and remembers the files in order."""

    directory: Path
    stored: list[Path] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        target = self.directory / f"{len(self.stored):06d}.eml"
        if envelope.original_content is not None:  # stock aiosmtpd
            target.write_bytes(envelope.original_content)
        else:
            envelope.spool.path.replace(target)  # keep it, as accept will
        self.stored.append(target)
        return "250 2.0.0 Ok"

    def take(self) -> list[bytes]:
        mails = [path.read_bytes() for path in self.stored]
        self.stored.clear()
        return mails


@dataclass
class Server:
    port: int
    handler: RecordingHandler
    spool_dir: Path | None


class LoopThread:
    """An event loop in a thread, serving every server the tests start."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._servers: list[asyncio.base_events.Server] = []

    def serve(self, factory) -> int:
        async def start() -> asyncio.base_events.Server:
            return await self.loop.create_server(factory, "127.0.0.1", 0)

        server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self._servers.append(server)
        return server.sockets[0].getsockname()[1]

    def close(self) -> None:
        async def stop_serving() -> None:
            for server in self._servers:
                server.close()
                await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop_serving(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def start_pair(loop: LoopThread, root: Path, limit: int | None) -> tuple[Server, Server]:
    def server(name: str, spooling: bool) -> Server:
        out = root / name / "out"
        out.mkdir(parents=True)
        handler = RecordingHandler(out)
        spool_dir = root / name / "spool" if spooling else None
        if spool_dir is not None:
            spool_dir.mkdir()
            port = loop.serve(lambda: SpoolingSMTP(handler, spool_dir=spool_dir, data_size_limit=limit))
        else:
            port = loop.serve(lambda: SMTP(handler, data_size_limit=limit))
        return Server(port, handler, spool_dir)

    return server("stock", False), server("spool", True)


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def small_pair(loop_thread, tmp_path_factory) -> tuple[Server, Server]:
    return start_pair(loop_thread, tmp_path_factory.mktemp("small"), SMALL_LIMIT)


@pytest.fixture(scope="module")
def default_pair(loop_thread, tmp_path_factory) -> tuple[Server, Server]:
    return start_pair(loop_thread, tmp_path_factory.mktemp("default"), 33554432)


async def converse(port: int, pieces: list[bytes]) -> list[bytes]:
    """Send the pieces as they are (pipelined) and return every reply line until EOF."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for piece in pieces:
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(0)  # let pieces go out as separate segments
    transcript = await asyncio.wait_for(reader.read(), timeout=30)
    writer.close()
    await writer.wait_closed()
    return transcript.split(b"\r\n")


def without_end_line(data: bytes) -> bytes:
    """The data with no line that is exactly ".", so DATA ends where the test says."""
    while b"\r\n.\r\n" in data:
        data = data.replace(b"\r\n.\r\n", b"\r\n,\r\n")
    return b"," + data[1:] if data.startswith(b".\r\n") else data


def session_pieces(first: bytes, cuts: list[int], second: bytes = b"second") -> list[bytes]:
    """One session sending two mails, pipelined, cut into pieces at `cuts` within the first."""
    envelope = b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
    head = b"EHLO client.example\r\n" + envelope
    stream = (
        head + without_end_line(first) + b"\r\n.\r\n"
        + envelope + without_end_line(second) + b"\r\n.\r\nQUIT\r\n"
    )  # fmt: skip
    bounds = sorted({0, len(stream), *(len(head) + c for c in cuts if c < len(first))})
    return [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def codes(transcript: list[bytes]) -> list[bytes]:
    return [line[:3] for line in transcript if line]


def exchange(pair: tuple[Server, Server], pieces: list[bytes]) -> tuple[list, list, list, list]:
    stock, spool = pair
    stock_reply = asyncio.run(converse(stock.port, pieces))
    spool_reply = asyncio.run(converse(spool.port, pieces))
    return stock_reply, spool_reply, stock.handler.take(), spool.handler.take()


SPECIAL = [
    b".", b"..", b"\r", b"\n", b"\r\n", b"\r\n.", b"\r\n..", b"\n.\n", b"\r.\r", b"\r\n.\n",
    b"\r\n.\r", b".\r\n", b"\n.\r\n", b"\xff\xfe\x80", b"\x00", b"\xc3\xa4",
]  # fmt: skip


def long_run(length: int, char: bytes) -> bytes:
    return char * length


segments = st.one_of(
    st.sampled_from(SPECIAL),
    st.binary(max_size=40),
    st.builds(long_run, st.integers(995, 1006), st.sampled_from([b"x", b"."])),
    st.builds(long_run, st.integers(1007, 4000), st.sampled_from([b"x", b"\r"])),
)
bodies = st.lists(segments, max_size=40).map(b"".join)
cut_points = st.lists(st.integers(0, 20000), max_size=6)


def over_limit_by(line_text: int) -> bytes:
    """Short lines up to just below SMALL_LIMIT, then one line of `line_text` bytes crossing it."""
    filler = (b"f" * 98 + b"\r\n") * ((SMALL_LIMIT - 200) // 100)
    return filler + b"L" * line_text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, cuts=cut_points)
@example(body=over_limit_by(1000), cuts=[]).via("fits the reader, too long with CRLF: size wins")
@example(body=over_limit_by(1001), cuts=[]).via("the longest line the reader returns whole")
@example(body=over_limit_by(1002), cuts=[]).via("overruns the reader: too long wins")
@example(body=b"x" * 3000 + b".\r\n" + b"y" * 10, cuts=[2999, 3001]).via("long line ends in a dot")
def test_same_mails_and_codes_around_the_size_limit(small_pair, body, cuts) -> None:
    stock_reply, spool_reply, stock_mails, spool_mails = exchange(
        small_pair, session_pieces(body, cuts, second=body[::-1])
    )
    assert codes(spool_reply) == codes(stock_reply)
    assert spool_mails == stock_mails


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, repeat=st.integers(1, 400), cuts=cut_points)
def test_same_mails_and_codes_for_large_mails(default_pair, body, repeat, cuts) -> None:
    stock_reply, spool_reply, stock_mails, spool_mails = exchange(
        default_pair, session_pieces(body * repeat, cuts)
    )
    assert codes(spool_reply) == codes(stock_reply)
    assert spool_mails == stock_mails


def test_refusals_carry_enhanced_codes_and_leave_no_spool_files(small_pair) -> None:
    too_much = b"y" * 80 + b"\r\n"
    _, spool_reply, _, spool_mails = exchange(small_pair, session_pieces(too_much * 50, []))
    assert replies.MESSAGE_TOO_LARGE.encode() in spool_reply
    too_long = b"z" * 1500
    _, spool_reply, _, more_mails = exchange(small_pair, session_pieces(too_long, []))
    assert replies.LINE_TOO_LONG.encode() in spool_reply
    assert spool_mails == more_mails == [b"second\r\n"]  # the refused first one is not stored
    assert list(small_pair[1].spool_dir.iterdir()) == []


def test_smuggled_end_of_data_stays_in_the_mail(small_pair) -> None:
    body = b"Subject: x\r\n\r\nbefore\n.\nMAIL FROM:<evil@example.org>\r\nafter"
    _, _, stock_mails, spool_mails = exchange(small_pair, session_pieces(body, []))
    assert spool_mails == stock_mails == [body + b"\r\n", b"second\r\n"]


def test_handler_sees_size_and_sha256_of_the_unstuffed_mail(loop_thread, tmp_path) -> None:
    seen = []

    class Inspecting:
        async def handle_DATA(self, server, session, envelope) -> str:
            seen.append((envelope.spool, envelope.spool.path.read_bytes(), envelope.content))
            return "250 2.0.0 Ok"

    port = loop_thread.serve(lambda: SpoolingSMTP(Inspecting(), spool_dir=tmp_path))
    asyncio.run(converse(port, session_pieces(b"..dot\r\nline", [])))
    [(spooled, stored, content), _second] = seen
    assert stored == b".dot\r\nline\r\n"
    assert spooled.size == len(stored)
    assert spooled.sha256 == hashlib.sha256(stored).hexdigest()
    assert content is None
    assert list(tmp_path.iterdir()) == []  # not kept by the handler: deleted after it returned


def test_a_spool_that_cannot_be_written_is_answered_after_the_end_of_data(loop_thread, tmp_path) -> None:
    class Failing:
        async def handle_DATA(self, server, session, envelope) -> str:
            raise AssertionError("never called: nothing was spooled")

        async def handle_exception(self, error: Exception) -> str:
            return f"451 4.3.0 {type(error).__name__}"

    missing = tmp_path / "no-such-dir"
    port = loop_thread.serve(lambda: SpoolingSMTP(Failing(), spool_dir=missing))
    transcript = asyncio.run(converse(port, session_pieces(b"MAIL FROM:<x@y>\r\nline", [])))
    replies_after_data = [line for line in transcript if line[:3] in (b"451", b"500", b"221")]
    # Both mails refused for a retry, no DATA line taken for a command, and still in step:
    assert replies_after_data == [b"451 4.3.0 SpoolError"] * 2 + [b"221 Bye"]
