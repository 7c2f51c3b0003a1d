"""The tnefparse adapter: a winmail.dat stream in, its attached files out."""

from __future__ import annotations

import logging

from tnefparse import TNEF

from inbox.extract.archive import Budget, Entry, Unpacked
from inbox.extract.model import Decision

# tnefparse logs every unknown attribute; the outcome is recorded per entry instead.
logging.getLogger("tnefparse").setLevel(logging.ERROR)


def read_tnef(payload: bytes, budget: Budget) -> Unpacked:
    try:
        attachments = TNEF(payload, do_checksum=False).attachments
    except Exception as err:  # tnefparse raises assorted types on damaged streams
        return Unpacked(
            refused=Decision.CORRUPT,
            reason=f"tnefparse: {err}"[:200],
            detected_type="application/ms-tnef",
        )
    if len(attachments) > budget.entries:
        return Unpacked(
            refused=Decision.TOO_LARGE,
            reason=f"{len(attachments)} attachments, limit {budget.entries}",
            detected_type="application/ms-tnef",
        )
    budget.entries -= len(attachments)
    return Unpacked(
        entries=tuple(_entry(a, budget) for a in attachments), detected_type="application/ms-tnef"
    )


def _entry(attachment, budget: Budget) -> Entry:
    try:
        name = attachment.long_filename() or attachment.name or ""
    except Exception:  # a name in an unknown code page: generated later
        name = ""
    data = attachment.data if isinstance(attachment.data, bytes) else b""
    if len(data) > budget.total_bytes:
        return Entry(str(name), len(data), None, Decision.TOO_LARGE, "size budget exhausted")
    budget.total_bytes -= len(data)
    return Entry(str(name), len(data), data)
