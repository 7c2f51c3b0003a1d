"""Where the shared third-party corpus lives; it is read in place and never copied."""

from __future__ import annotations

import json
import os
from pathlib import Path

CORPUS_DIR = Path(os.environ.get("INBOX_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
EINVOICES = CORPUS_DIR / "einvoices"
EXPECTED = EINVOICES / "expected.json"


def expected_einvoices() -> list[dict]:
    """Entries of einvoices/expected.json, or none when the corpus is absent."""
    if not EXPECTED.is_file():
        return []
    return json.loads(EXPECTED.read_text(encoding="utf-8"))
