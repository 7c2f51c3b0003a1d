"""`python -m bench.ocr`: how many scanned pages per second OCR reads on this machine.

Pages are the bench's one-page invoices rendered as a scanner would (200 dpi, a slight turn,
blur, dust), read one after another in one process with Tesseract limited to one thread, as
an extraction child reads them. Reported, never asserted.
"""

from __future__ import annotations

import argparse
import time

from bench.mails import invoice_pdfs
from inbox import scans
from inbox.extract.ocr import OcrAllowance, available, read_pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ocr")
    parser.add_argument("--pages", type=int, default=10)
    args = parser.parse_args(argv)
    if not available():
        print("OCR: tesseract is not installed (make ocr); skipped")
        return 0
    pdfs = invoice_pdfs(1, list(range(1001, 1001 + args.pages)))
    pages = [scans.scanned_pages(pdf, seed=index, pages=1)[0] for index, pdf in enumerate(pdfs)]
    started = time.monotonic()
    words = 0
    for page in pages:
        words += len(read_pages([page], OcrAllowance(seconds=3600)).words)
    elapsed = time.monotonic() - started
    print(
        f"OCR: {len(pages)} scanned A4 pages in {elapsed:.1f} s: {len(pages) / elapsed:.2f} pages/s, "
        f"{elapsed / len(pages):.2f} s per page, {words // len(pages)} words per page"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
