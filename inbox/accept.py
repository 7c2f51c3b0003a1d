"""Durable accept: spooled mails become blobs and their Message rows are committed, in batches.

Only when `DurableAccept` returns may the SMTP side answer 250 (reliability contract,
point 1). Two group commits form a pipeline: a batch's files are fsync'd and renamed
into the blob store (`store_blobs`), then its rows are committed in one transaction
(`record_rows`); meanwhile the next batch's files are already being made durable.
Blob first, row second: an orphan blob is harmless, a row pointing at nothing is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from inbox.groupcommit import GroupCommit
from inbox.spool import SpooledMessage
from storage.db import Store
from storage.messages import Delivery, record_received


class AcceptError(Exception):
    """The messages could not be made durable; their senders must retry."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A mail received in full and spooled, its file already a durable blob."""

    spool: SpooledMessage
    envelope_from: str
    deliveries: list[Delivery]


class DurableAccept:
    """`await accept(spool, envelope_from, deliveries)` -> the new message ids."""

    def __init__(self, store: Store) -> None:
        self._blobs = GroupCommit(partial(store_blobs, store))
        self._rows = GroupCommit(partial(record_rows, store))

    async def __call__(
        self, spool: SpooledMessage, envelope_from: str, deliveries: list[Delivery]
    ) -> list[str]:
        await self._blobs.submit(spool)
        return await self._rows.submit(Arrival(spool, envelope_from, deliveries))


def store_blobs(store: Store, spools: list[SpooledMessage]) -> list[None]:
    """Make every spooled file a durable blob, in one round of fsyncs."""
    try:
        store.blobs.adopt_all([(spool.path, spool.sha256) for spool in spools])
    except Exception as err:  # disk full, I/O error, ...: transient for the senders
        raise AcceptError(f"{type(err).__name__}: {err}") from err
    return [None] * len(spools)


def record_rows(store: Store, arrivals: list[Arrival]) -> list[list[str]]:
    """One transaction: a Message per account and mail. Returns each arrival's message ids."""
    try:
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
            return [[m.id for m in messages] for messages in recorded]
    except Exception as err:  # database locked too long, disk full, ...: transient for senders
        raise AcceptError(f"{type(err).__name__}: {err}") from err
