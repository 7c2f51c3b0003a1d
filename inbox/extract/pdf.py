"""The pypdf adapter: PDF bytes in, PdfFacts out. Never raises on bad input."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

from inbox.extract.model import PdfFacts

MAX_TEXT_CHARS = 200_000
MAX_TEXT_PAGES = 50

# pypdf reports recoverable damage through logging; it is recorded in the facts instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_pdf(payload: bytes) -> PdfFacts:
    try:
        reader = PdfReader(io.BytesIO(payload))
        encrypted = reader.is_encrypted
        if encrypted and not _try_empty_password(reader):
            return PdfFacts(
                pages=None, encrypted=True, unreadable=True, reason="encrypted with a password"
            )
        pages = len(reader.pages)
    except Exception as err:  # pypdf raises many types on hostile input; all mean "unreadable"
        return PdfFacts(
            pages=None, encrypted=False, unreadable=True, reason=f"pypdf: {_describe(err)}"
        )
    return PdfFacts(pages=pages, encrypted=encrypted, unreadable=False, text=_text(reader))


def _try_empty_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def _text(reader: PdfReader) -> str:
    chunks: list[str] = []
    total = 0
    for page in reader.pages[:MAX_TEXT_PAGES]:
        try:
            chunk = page.extract_text() or ""
        except Exception:  # one broken page does not hide the others
            continue
        chunks.append(chunk)
        total += len(chunk)
        if total >= MAX_TEXT_CHARS:
            break
    return "\n".join(chunks)[:MAX_TEXT_CHARS]


def _describe(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text[:200]
