"""Durable accept: spooled mails become blobs and their Message rows are committed, in batches.

Only when `DurableAccept` returns may the SMTP side answer 250 (reliability contract,
point 1). Mails that arrive while a batch is being made durable form the next batch
(`GroupCommit`): one round of fsyncs and one transaction serve them all.
Blob first, row second: an orphan blob is harmless, a row pointing at nothing is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from inbox.groupcommit import GroupCommit
from inbox.recipient import Delivery
from inbox.spool import SpooledMessage
from storage.db import Store
from storage.messages import record_received


class AcceptError(Exception):
    """The messages could not be made durable; their senders must retry."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A mail received in full and spooled, waiting to be made durable."""

    spool: SpooledMessage
    envelope_from: str
    deliveries: list[Delivery]


class DurableAccept:
    """`await accept(spool, envelope_from, deliveries)` -> the new message ids."""

    def __init__(self, store: Store) -> None:
        self._batches = GroupCommit(partial(accept_batch, store))

    async def __call__(
        self, spool: SpooledMessage, envelope_from: str, deliveries: list[Delivery]
    ) -> list[str]:
        return await self._batches.submit(Arrival(spool, envelope_from, deliveries))


def accept_batch(store: Store, arrivals: list[Arrival]) -> list[list[str]]:
    """Make every spooled file a durable blob, then record one Message per account and mail
    in one transaction. Returns each arrival's message ids, in order."""
    try:
        store.blobs.adopt([a.spool for a in arrivals])
        with store.session() as session:
            recorded = [
                record_received(
                    session=session,
                    raw_sha256=a.spool.sha256,
                    raw_size=a.spool.size,
                    envelope_from=a.envelope_from,
                    envelope_to_by_account={d.account_id: d.envelope_to for d in a.deliveries},
                )
                for a in arrivals
            ]
            session.flush()
            return [[m.id for m in messages] for messages in recorded]
    except Exception as err:  # disk full, database locked too long, ...: transient for senders
        raise AcceptError(f"{type(err).__name__}: {err}") from err
