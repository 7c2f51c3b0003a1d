"""Log a recurring event at most once a second, saying how many were held back.

Under a flood (accept() failing for want of file descriptors, thousands of refused
connections) a line per event fills the disk; one line a second still tells the story.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any


class Throttle:
    """`allow(key)` is true at most once per `interval` for each key."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self.held_back: dict[str, int] = {}

    def allow(self, key: str) -> int | None:
        """None when this event should not be logged, else how many were held back before it."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self.held_back[key] = self.held_back.get(key, 0) + 1
            return None
        self._last[key] = now
        return self.held_back.pop(key, 0)


def log_throttled(throttle: Throttle, logger: logging.Logger, level: int, key: str, msg: str, *args) -> None:
    held_back = throttle.allow(key)
    if held_back is None:
        return
    if held_back:
        msg += " (and %d more like it since the last line)"
        args = (*args, held_back)
    logger.log(level, msg, *args)


def throttled_exception_handler(
    throttle: Throttle,
) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """An event-loop exception handler that lets each kind of error through once a second."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        key = f"{context.get('message')}|{type(error).__name__}"
        held_back = throttle.allow(key)
        if held_back is None:
            return
        if held_back:
            context = {**context, "message": f"{context.get('message')} (and {held_back} more since)"}
        loop.default_exception_handler(context)

    return handle
