"""The recipient cache: one lookup per address and TTL, only active inboxes kept."""

from __future__ import annotations

import asyncio

from inbox.recipient import Recipient
from inbox.recipientcache import RecipientCache


class Directory:
    """Inboxes by local part, counting the lookups that reach it (the database's stand-in)."""

    def __init__(self) -> None:
        self.inboxes: dict[str, Recipient] = {}
        self.lookups = 0

    async def find(self, local: str) -> Recipient | None:
        self.lookups += 1
        await asyncio.sleep(0)  # a real lookup waits for its thread
        return self.inboxes.get(local)


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_kept_for_the_ttl_then_looked_up_again():
    directory, clock = Directory(), Clock()
    directory.inboxes["key"] = Recipient("acct-1")
    cache = RecipientCache(directory.find, ttl=1.0, clock=clock)

    async def run() -> None:
        assert await cache("key") == Recipient("acct-1")
        del directory.inboxes["key"]  # deactivated
        clock.now += 0.9
        assert await cache("key") == Recipient("acct-1")  # within the TTL: kept
        assert directory.lookups == 1
        clock.now += 0.2
        assert await cache("key") is None
        assert directory.lookups == 2

    asyncio.run(run())


def test_unknown_addresses_are_not_kept_so_a_new_inbox_is_found_at_once():
    directory, clock = Directory(), Clock()
    cache = RecipientCache(directory.find, ttl=1.0, clock=clock)

    async def run() -> None:
        assert await cache("new") is None
        directory.inboxes["new"] = Recipient("acct-2")
        assert await cache("new") == Recipient("acct-2")

    asyncio.run(run())


def test_forget_drops_every_answer_and_any_lookup_in_flight():
    directory, clock = Directory(), Clock()
    directory.inboxes["key"] = Recipient("acct-1")
    cache = RecipientCache(directory.find, ttl=1.0, clock=clock)

    async def run() -> None:
        await cache("key")
        cache.forget()
        del directory.inboxes["key"]
        assert await cache("key") is None

        directory.inboxes["key"] = Recipient("acct-1")
        started = asyncio.ensure_future(cache("key"))
        await asyncio.sleep(0)  # the lookup is under way
        cache.forget()  # the answer on its way may be stale already: not kept
        await started
        await cache("key")
        assert directory.lookups == 4

    asyncio.run(run())
