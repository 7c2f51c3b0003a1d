"""The extraction pool with real child processes: the parent reads and writes the blob store."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from inbox.sandbox import Extracted, ExtractionFailed, ExtractionPool
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
