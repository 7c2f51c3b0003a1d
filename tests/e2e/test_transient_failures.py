"""A mail that met a transient failure (no space left for its documents) is tried again with
backoff and processed once space is back, never left `failed` (issue 10, item 4)."""

from __future__ import annotations

import email.policy
import io
import os
import random
import smtplib
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from tests.builders import make_mail
from tests.service import Service, wait_for
from tests.tmpfs import small_tmpfs

FILESYSTEM_BYTES = 4 * 1024 * 1024


@pytest.fixture
def small_blob_filesystem(tmp_path: Path):
    """The blob store on a tmpfs of its own, so a test can fill it up."""
    with small_tmpfs(tmp_path / "blobfs", FILESYSTEM_BYTES) as mount:
        yield mount


def noisy_pdf(size: int) -> bytes:
    """A PDF of about `size` bytes that does not compress: one image of random pixels."""
    side = int((size / 3) ** 0.5)
    noise = random.Random(7).randbytes(side * side * 3)
    image = io.BytesIO()
    Image.frombytes("RGB", (side, side), noise).save(image, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(image.getvalue()), x=10, y=10, w=100)
    return bytes(pdf.output())


def test_no_space_for_the_documents_is_retried_until_space_is_back(tmp_path, small_blob_filesystem):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "blobs").symlink_to(small_blob_filesystem)
    service = Service(data_dir).start()
    try:
        account = service.create_account("Acme", "owner@acme.example")
        pdf = noisy_pdf(500_000)
        raw = make_mail(to=account.inbox_address, attachments=[("big.pdf", pdf, "application/pdf")])
        raw = raw.as_bytes(policy=email.policy.SMTP)
        # Room for the raw mail (spooled, then renamed), not for its document as well.
        stats = os.statvfs(small_blob_filesystem)
        free = stats.f_bavail * stats.f_frsize
        filler = small_blob_filesystem / "filler"
        filler.write_bytes(b"\0" * (free - len(raw) - len(pdf) // 2))
        with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
            smtp.sendmail("billing@supplier.example", [account.inbox_address], raw)
        client = service.client(account)

        def the_message() -> dict:
            return client.get("/api/messages").json()["items"][0]

        waiting = wait_for(lambda: "will try again" in (m := the_message())["reason"] and m, timeout=60)
        assert waiting["status"] == "received"
        assert "No space left on device" in waiting["reason"]

        filler.unlink()

        done = wait_for(lambda: (m := the_message())["status"] != "received" and m, timeout=60)
        assert done["status"] == "processed"
        assert len(done["document_ids"]) == 1
    finally:
        service.stop()
