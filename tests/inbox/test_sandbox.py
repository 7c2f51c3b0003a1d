"""The extraction pool with real child processes: the parent reads and writes the blob store."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import struct
import subprocess
import sys
from pathlib import Path

from inbox.sandbox import SMALL_MESSAGE, Extracted, ExtractionFailed, ExtractionPool, _small_message_waiting
from storage.blobs import open_blob_store
from tests.builders import make_mail, make_pdf


def test_children_get_the_mail_and_the_parent_stores_its_documents(tmp_path: Path) -> None:
    blobs = open_blob_store(None, tmp_path)
    pdf = make_pdf()
    raw = blobs.put(make_mail(attachments=[("invoice.pdf", pdf, "application/pdf")]).as_bytes())
    missing = hashlib.sha256(b"no such mail").hexdigest()

    async def run() -> tuple[Extracted | ExtractionFailed, Extracted | ExtractionFailed]:
        pool = ExtractionPool(blobs=blobs, size=1, timeout=60, memory_mb=1024)
        try:
            return await pool.extract(missing), await pool.extract(raw)
        finally:
            pool.close()

    lost, found = asyncio.run(run())

    assert isinstance(lost, ExtractionFailed) and "BlobNotFound" in lost.reason
    assert isinstance(found, Extracted)  # the pool still serves after a failed hand-over
    assert list(found.blobs.values()) == [hashlib.sha256(pdf).hexdigest()]
    assert blobs.read(hashlib.sha256(pdf).hexdigest()) == pdf
    assert all(part.payload is None for part in found.mail.parts)


def test_only_a_small_answer_already_whole_in_the_pipe_is_read_on_the_loop() -> None:
    """The parent reads a child's small answers without a thread hop, but never one that could
    block its loop: a large one, or one whose bytes are still coming."""
    parent, child = multiprocessing.Pipe()
    try:
        assert not _small_message_waiting(parent)  # nothing yet
        child.send(("events",))
        assert _small_message_waiting(parent)
        assert parent.recv() == ("events",)
        child.send_bytes(b"x" * (SMALL_MESSAGE + 1))
        assert not _small_message_waiting(parent)
        parent.recv_bytes()
        os.write(child.fileno(), struct.pack("!i", 100) + b"only part of it")
        assert not _small_message_waiting(parent)
    finally:
        parent.close()
        child.close()


MAIN_PROGRAM = """
import asyncio, sys
from pathlib import Path

if __name__ == "__mp_main__":  # multiprocessing re-running this program in a child
    Path(sys.argv[1]).joinpath("rerun").touch()

if __name__ == "__main__":
    from inbox.sandbox import Extracted, ExtractionPool
    from storage.blobs import open_blob_store
    from tests.builders import make_mail, make_pdf

    blobs = open_blob_store(None, Path(sys.argv[1]))
    raw = blobs.put(make_mail(attachments=[("invoice.pdf", make_pdf(), "application/pdf")]).as_bytes())

    async def run() -> object:
        pool = ExtractionPool(blobs=blobs, size=1, timeout=60, memory_mb=1024)
        try:
            return await pool.extract(raw)
        finally:
            pool.close()

    assert isinstance(asyncio.run(run()), Extracted)
"""


def test_children_do_not_rerun_the_main_program(tmp_path: Path) -> None:
    """multiprocessing would re-run `__main__` in every child (for `inbox serve`, the whole app:
    about a second of CPU per child); a child needs only the extraction code."""
    program = tmp_path / "program.py"
    program.write_text(MAIN_PROGRAM)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, str(program), str(tmp_path)], check=True, env=env, timeout=120)
    assert not (tmp_path / "rerun").exists()
