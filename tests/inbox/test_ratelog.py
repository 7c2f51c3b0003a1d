"""Recurring errors are logged at most once a second, with a count of those held back."""

from __future__ import annotations

import asyncio
import errno
import logging

from inbox.ratelog import Throttle, throttled_exception_handler


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def accept_failure() -> dict:
    return {
        "message": "socket.accept() out of system resource",
        "exception": OSError(errno.EMFILE, "Too many open files"),
    }


def test_a_flood_of_accept_errors_gives_one_line_a_second(caplog):
    clock = Clock()
    loop = asyncio.new_event_loop()
    try:
        loop.set_exception_handler(throttled_exception_handler(Throttle(clock=clock)))
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for second in range(3):
                clock.now = 100.0 + second
                for _ in range(10_000):
                    loop.call_exception_handler(accept_failure())
                    clock.now += 0.00001
    finally:
        loop.close()

    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3
    assert lines[0] == "socket.accept() out of system resource"
    assert lines[1].endswith("(and 9999 more since)")


def test_different_errors_are_each_logged(caplog):
    loop = asyncio.new_event_loop()
    try:
        loop.set_exception_handler(throttled_exception_handler(Throttle(clock=Clock())))
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            loop.call_exception_handler(accept_failure())
            loop.call_exception_handler(
                {"message": "Task exception was never retrieved", "exception": KeyError("x")}
            )
            loop.call_exception_handler(accept_failure())
    finally:
        loop.close()

    assert len(caplog.records) == 2
