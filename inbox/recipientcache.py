"""The recipient lookup's recent answers, kept for a second: under load, one database lookup
(and one thread hand-off) per inbox address and second instead of one per RCPT.

Only addresses found active are kept, so a new inbox is found at once. An address that stops
(account deleted, new address generated, allowed senders or the DMARC choice changed, the
plan's documents used up) is answered from the database again within TTL_SECONDS in every
process; in the process that made the change, at once (`forget`). A mail for a deleted
account that passed RCPT in that second cannot be recorded (its rows need the account) and
gets a 451: no row is written for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from inbox.recipient import Recipient
from inbox.smtp import FindAccount

TTL_SECONDS = 1.0
MAX_ENTRIES = 10_000  # beyond this, expired entries are dropped before adding one


class RecipientCache:
    """`await cache(local)` -> the active account of that inbox address, or None: `find`'s
    answer from at most `ttl` seconds ago."""

    def __init__(
        self, find: FindAccount, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._find = find
        self._ttl = ttl
        self._clock = clock
        self._known: dict[str, tuple[float, Recipient]] = {}  # local -> (expires at, account)
        self._generation = 0  # moves on at every forget(), so a lookup begun before is not kept

    async def __call__(self, local: str) -> Recipient | None:
        kept = self._known.get(local)
        if kept is not None and kept[0] > self._clock():
            return kept[1]
        generation = self._generation
        found = await self._find(local)
        if found is None or generation != self._generation:
            self._known.pop(local, None)
            return found
        if len(self._known) >= MAX_ENTRIES:
            now = self._clock()
            self._known = {key: entry for key, entry in self._known.items() if entry[0] > now}
        self._known[local] = (self._clock() + self._ttl, found)
        return found

    def forget(self) -> None:
        """Inboxes changed in this process: every address is looked up again."""
        self._known.clear()
        self._generation += 1
