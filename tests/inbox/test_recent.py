"""RecentAnswers with a clock the test moves."""

from __future__ import annotations

import asyncio

from inbox.recent import RecentAnswers


class Directory:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.asked: list[str] = []
        self.now = 0.0

    async def lookup(self, key: str) -> str | None:
        self.asked.append(key)
        return self.entries.get(key)


def test_found_answers_are_kept_for_ttl_then_asked_again() -> None:
    directory = Directory()
    directory.entries["acme"] = "account-1"
    recent = RecentAnswers(directory.lookup, ttl=2.0, clock=lambda: directory.now)

    async def run() -> list[str | None]:
        answers = [await recent("acme"), await recent("acme")]
        directory.entries["acme"] = "account-1 (deactivated)"
        directory.now = 1.9
        answers.append(await recent("acme"))
        directory.now = 2.1
        answers.append(await recent("acme"))
        return answers

    assert asyncio.run(run()) == ["account-1", "account-1", "account-1", "account-1 (deactivated)"]
    assert directory.asked == ["acme", "acme"]


def test_unknown_keys_are_not_kept_so_new_entries_are_seen_at_once() -> None:
    directory = Directory()
    recent = RecentAnswers(directory.lookup, ttl=60.0, clock=lambda: directory.now)

    async def run() -> list[str | None]:
        first = await recent("new")
        directory.entries["new"] = "account-2"
        return [first, await recent("new")]

    assert asyncio.run(run()) == [None, "account-2"]


def test_the_number_of_kept_answers_is_bounded() -> None:
    directory = Directory()
    directory.entries.update({k: k.upper() for k in "abc"})
    recent = RecentAnswers(directory.lookup, ttl=60.0, max_entries=2, clock=lambda: 0.0)

    async def run() -> None:
        for key in "abca":
            await recent(key)

    asyncio.run(run())
    assert directory.asked == ["a", "b", "c", "a"]  # "a" was dropped to make room
