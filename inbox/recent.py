"""Remember an async lookup's found answers for a few seconds.

Every RCPT of every mail asks which account an inbox address belongs to; a sender
delivering a batch asks the same question hundreds of times a second. A database round
trip through a thread for each costs milliseconds of every mail's latency. Only found
answers are kept, so a new account is reachable at once; a change to a known one
(deactivation, allowed senders) takes effect within `ttl` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


class RecentAnswers(Generic[Key, Value]):
    def __init__(
        self,
        lookup: Callable[[Key], Awaitable[Value | None]],
        *,
        ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._answers: dict[Key, tuple[float, Value]] = {}

    async def __call__(self, key: Key) -> Value | None:
        now = self._clock()
        kept = self._answers.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        value = await self._lookup(key)
        if value is None:
            self._answers.pop(key, None)
        else:
            if len(self._answers) >= self._max_entries:
                self._answers.clear()  # crude but bounded; a refill costs one lookup per key
            self._answers[key] = (now + self._ttl, value)
        return value
