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
from storage.db import Store, take_write_lock
from storage.messages import record_received


class AcceptError(Exception):
    """The messages could not be made durable; their senders must retry."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A mail received in full and spooled, waiting to be made durable."""

    spool: SpooledMessage
    envelope_from: str
    deliveries: list[Delivery]
    auth: str = ""  # SPF, DKIM and DMARC results as JSON


class DurableAccept:
    """`await accept(spool, envelope_from, deliveries, auth)` -> the new message ids."""

    def __init__(self, store: Store) -> None:
        self._batches = GroupCommit(partial(accept_batch, store))

    async def __call__(
        self, spool: SpooledMessage, envelope_from: str, deliveries: list[Delivery], auth: str = ""
    ) -> list[str]:
        return await self._batches.submit(Arrival(spool, envelope_from, deliveries, auth))


def accept_batch(store: Store, arrivals: list[Arrival]) -> list[list[str] | AcceptError]:
    """Make every spooled file a durable blob, then record one Message per account and mail
    in one transaction. Returns each arrival's message ids (or its error), in order.

    When the batch fails as a whole, each mail is tried again on its own, so one mail that
    cannot be stored (a value the database refuses) never fails the others beside it.
    """
    try:
        return list[list[str] | AcceptError](_accept_together(store, arrivals))
    except Exception as err:
        if len(arrivals) == 1:
            return [_error(err)]
    results: list[list[str] | AcceptError] = []
    for arrival in arrivals:
        try:
            results.extend(_accept_together(store, [arrival]))
        except Exception as err:  # disk full, database locked too long, ...: transient for senders
            results.append(_error(err))
    return results


def _accept_together(store: Store, arrivals: list[Arrival]) -> list[list[str]]:
    store.blobs.adopt([a.spool for a in arrivals if not _adopted(store, a)])
    with store.session() as session:
        take_write_lock(session)
        recorded = [
            record_received(
                session=session,
                raw_sha256=a.spool.sha256,
                raw_size=a.spool.size,
                envelope_from=a.envelope_from,
                envelope_to_by_account={d.account_id: d.envelope_to for d in a.deliveries},
                auth=a.auth,
            )
            for a in arrivals
        ]
        session.flush()
        return [[m.id for m in messages] for messages in recorded]


def _adopted(store: Store, arrival: Arrival) -> bool:
    """A batch that failed after renaming some files left them as blobs already."""
    return not arrival.spool.path.exists() and store.blobs.exists(arrival.spool.sha256)


def _error(err: Exception) -> AcceptError:
    error = AcceptError(f"{type(err).__name__}: {err}")
    error.__cause__ = err
    return error
