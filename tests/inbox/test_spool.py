"""SpoolingSMTP against a line-by-line model of the DATA rules (Postfix's "normalize").

The server listens on loopback; a raw asyncio-streams client sends each stream (smtplib
would normalise line endings, hiding exactly what is tested here). `expected_mail` is the
model: slow and obvious, one line at a time, where the decoder works on chunks.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
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
    spool_dir: Path
    limit: int | None


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


def start_server(loop: LoopThread, root: Path, limit: int | None) -> Server:
    out, spool_dir = root / "out", root / "spool"
    out.mkdir(parents=True)
    spool_dir.mkdir()
    handler = RecordingHandler(out)
    port = loop.serve(lambda: SpoolingSMTP(handler, spool_dir=spool_dir, data_size_limit=limit))
    return Server(port, handler, spool_dir, limit)


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def small_server(loop_thread, tmp_path_factory) -> Server:
    return start_server(loop_thread, tmp_path_factory.mktemp("small"), SMALL_LIMIT)


@pytest.fixture(scope="module")
def default_server(loop_thread, tmp_path_factory) -> Server:
    return start_server(loop_thread, tmp_path_factory.mktemp("default"), 33554432)


def expected_mail(body: bytes, limit: int | None) -> bytes | None:
    """What DATA `body` CRLF . CRLF stores, line by line; None when it is too large.

    Lines end at CRLF or a bare LF and are stored with CRLF; a leading dot is dropped.
    """
    raw = body + b"\r\n"  # what the size limit counts: all but the final ".\r\n"
    if limit and len(raw) > limit:
        return None
    lines = re.split(rb"\r\n|\n", raw)[:-1]
    return b"".join((line[1:] if line.startswith(b".") else line) + b"\r\n" for line in lines)


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


END = b"\r\n.\r\n"


def without_end_line(data: bytes) -> bytes:
    """The data with a comma for every dot that would end DATA before the test's own end."""
    while (found := (b"\r\n" + data + END).find(END)) != len(data) + 2:
        data = data[:found] + b"," + data[found + 1 :]
    return data


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


def exchange(server: Server, first: bytes, cuts: list[int], second: bytes = b"second"):
    """Send two mails in one session; return the replies to their DATA, the mails stored,
    and what the model expects of both."""
    transcript = asyncio.run(converse(server.port, session_pieces(first, cuts, second)))
    data_replies = [
        after[:3] for line, after in zip(transcript, transcript[1:], strict=False) if line[:3] == b"354"
    ]
    expected = [expected_mail(without_end_line(body), server.limit) for body in (first, second)]
    expected_codes = [b"552" if mail is None else b"250" for mail in expected]
    return data_replies, server.handler.take(), expected_codes, [m for m in expected if m is not None]


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
@example(body=over_limit_by(1000), cuts=[]).via("the last line crosses the size limit")
@example(body=b"x" * 3000 + b".\r\n" + b"y" * 10, cuts=[2999, 3001]).via("long line ends in a dot")
@example(body=b"a\n.b\r\n\n..c\r", cuts=[1, 2, 7, 9]).via("bare LFs and dots on the cuts")
def test_mails_and_codes_follow_the_model_around_the_size_limit(small_server, body, cuts) -> None:
    codes, mails, expected_codes, expected_mails = exchange(small_server, body, cuts, second=body[::-1])
    assert codes == expected_codes
    assert mails == expected_mails


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, repeat=st.integers(1, 400), cuts=cut_points)
def test_mails_and_codes_follow_the_model_for_large_mails(default_server, body, repeat, cuts) -> None:
    codes, mails, expected_codes, expected_mails = exchange(default_server, body * repeat, cuts)
    assert codes == expected_codes
    assert mails == expected_mails


def test_too_large_gets_an_enhanced_code_and_leaves_no_spool_file(small_server) -> None:
    transcript = asyncio.run(converse(small_server.port, session_pieces((b"y" * 80 + b"\r\n") * 50, [])))
    assert replies.MESSAGE_TOO_LARGE.encode() in transcript
    assert small_server.handler.take() == [b"second\r\n"]  # the refused first one is not stored
    assert list(small_server.spool_dir.iterdir()) == []


def test_long_lines_are_stored_as_received(default_server) -> None:
    php_base64 = b"Content-Transfer-Encoding: base64\r\n\r\n" + b"QUJD" * 5000
    codes, mails, _, _ = exchange(default_server, php_base64, [])
    assert codes == [b"250", b"250"]
    assert mails == [php_base64 + b"\r\n", b"second\r\n"]


@pytest.mark.parametrize(
    ("smuggled", "stored"),
    [
        (b"\n.\n", b"\r\n\r\n"),
        (b"\r.\r", b"\r.\r"),
        (b"\r\n.\n", b"\r\n\r\n"),
        (b"\n.\r\n", b"\r\n\r\n"),
    ],
)
def test_smuggled_end_of_data_stays_in_the_mail(default_server, smuggled: bytes, stored: bytes) -> None:
    body = b"Subject: x\r\n\r\nbefore" + smuggled + b"MAIL FROM:<evil@example.org>\r\nafter"
    codes, mails, _, _ = exchange(default_server, body, [])
    assert codes == [b"250", b"250"]
    assert mails == [
        b"Subject: x\r\n\r\nbefore" + stored + b"MAIL FROM:<evil@example.org>\r\nafter\r\n",
        b"second\r\n",
    ]


def test_bare_lf_line_ends_are_stored_as_crlf(default_server) -> None:
    eml_from_disk = b"Subject: invoice\n\nline one\n..dotted\nlast"
    codes, mails, _, _ = exchange(default_server, eml_from_disk, [])
    assert codes == [b"250", b"250"]
    assert mails[0] == b"Subject: invoice\r\n\r\nline one\r\n.dotted\r\nlast\r\n"


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
