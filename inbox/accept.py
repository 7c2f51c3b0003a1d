"""Durable accept: spooled mails become blobs and their Message rows are committed, in batches.

Only when `accept_batch` returns may the SMTP side answer 250 to the mails in it
(reliability contract, point 1). It blocks on disk and database; `serve` runs it through
`GroupCommit`, so mails that arrive together share one fsync round and one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox.spool import SpooledMessage
from storage.db import Store
from storage.messages import Delivery, record_received


class AcceptError(Exception):
    """The messages could not be made durable; their senders must retry."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A mail received in full and spooled, waiting to be made durable."""

    spool: SpooledMessage
    envelope_from: str
    deliveries: list[Delivery]


def accept_batch(store: Store, arrivals: list[Arrival]) -> list[list[str]]:
    """Make every spooled mail a blob, then record one Message per account and mail.

    Returns the message ids of each arrival, in order. Blob first, row second: an orphan
    blob is harmless, a row pointing at nothing is not.
    """
    try:
        store.blobs.adopt_all([(a.spool.path, a.spool.sha256) for a in arrivals])
        with store.session() as session:
            recorded = [
                record_received(
                    session=session,
                    raw_sha256=a.spool.sha256,
                    raw_size=a.spool.size,
                    envelope_from=a.envelope_from,
                    deliveries=a.deliveries,
                )
                for a in arrivals
            ]
            session.flush()
            ids = [[m.id for m in messages] for messages in recorded]
    except Exception as err:  # disk full, database locked too long, ...: transient for senders
        raise AcceptError(f"{type(err).__name__}: {err}") from err
    return ids
