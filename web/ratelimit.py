"""Per-token request budget: INBOX_API_RATE_PER_MINUTE requests in any sliding minute,
counted in the database (storage/ratelimit.py), so every web process enforces one limit."""

from __future__ import annotations

import time
from collections.abc import Callable

from storage import ratelimit
from storage.db import Store


class RateLimiter:
    def __init__(self, store: Store, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self._store = store
        self._clock = clock  # wall time: the processes sharing the counts share the clock too

    def take(self, key: str) -> int:
        """0 when the request may go; else the seconds to wait (for Retry-After)."""
        with self._store.session() as session:
            return ratelimit.take(session=session, key=key, per_minute=self.per_minute, now=self._clock())
