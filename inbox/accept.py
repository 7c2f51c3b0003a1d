"""Durable accept: the raw message becomes a blob and its Message rows are committed.

Only when `accept` returns may the SMTP side answer 250 (reliability contract, point 1).
It blocks on disk and database, so the SMTP handler runs it in a thread.
"""

from __future__ import annotations

from storage.db import Store
from storage.messages import Delivery, record_received


class AcceptError(Exception):
    """The message could not be made durable; the sender must retry."""


def accept(
    store: Store, *, raw: bytes, envelope_from: str, deliveries: list[Delivery]
) -> list[str]:
    """Store the raw bytes once and record one Message per account. Returns the message ids."""
    try:
        sha256 = store.blobs.put(raw)  # blob first, row second: an orphan blob is harmless
        with store.session() as session:
            messages = record_received(
                session=session,
                raw_sha256=sha256,
                raw_size=len(raw),
                envelope_from=envelope_from,
                deliveries=deliveries,
            )
            session.flush()
            ids = [m.id for m in messages]
    except (
        Exception
    ) as err:  # disk full, database locked too long, ...: all transient for the sender
        raise AcceptError(f"{type(err).__name__}: {err}") from err
    return ids
