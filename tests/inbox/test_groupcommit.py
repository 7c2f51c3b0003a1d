"""GroupCommit with a real worker thread: batching, per-caller results, shared failure."""

from __future__ import annotations

import asyncio
import threading

import pytest

from inbox.groupcommit import GroupCommit


class Flusher:
    """Records each batch; the first flush waits until released, so others queue up behind it."""

    def __init__(self, fail_batch: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()
        self.fail_batch = fail_batch

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        if len(self.batches) == 1:
            self.first_started.set()
            self.release.wait(10)
        if len(self.batches) - 1 == self.fail_batch:
            raise OSError("disk full")
        return [item * 10 for item in items]


async def run_batches(flusher: Flusher) -> list:
    group = GroupCommit(flusher)
    first = asyncio.create_task(group.submit(0))
    await asyncio.to_thread(flusher.first_started.wait, 10)
    queued = [asyncio.create_task(group.submit(n)) for n in range(1, 6)]
    await asyncio.sleep(0.05)  # all five are queued while the first flush is still running
    flusher.release.set()
    results = await asyncio.gather(first, *queued, return_exceptions=True)
    results.append(await group.submit(6))  # and the committer goes on after that
    return results


def test_mails_arriving_during_a_flush_are_flushed_together() -> None:
    flusher = Flusher()
    results = asyncio.run(run_batches(flusher))
    assert flusher.batches == [[0], [1, 2, 3, 4, 5], [6]]
    assert results == [0, 10, 20, 30, 40, 50, 60]


def test_a_failed_flush_fails_every_caller_in_its_batch_only() -> None:
    flusher = Flusher(fail_batch=1)
    results = asyncio.run(run_batches(flusher))
    assert results[0] == 0 and results[6] == 60
    assert all(isinstance(r, OSError) for r in results[1:6])


def test_max_batch_splits_a_long_queue() -> None:
    async def run() -> list[list[int]]:
        batches: list[list[int]] = []

        def flush(items: list[int]) -> list[int]:
            batches.append(items)
            return items

        group = GroupCommit(flush, max_batch=2)
        assert await asyncio.gather(*(group.submit(n) for n in range(5))) == [0, 1, 2, 3, 4]
        return batches

    assert asyncio.run(run()) == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("returned", [[], [1, 2]])
def test_a_flush_returning_the_wrong_number_of_results_fails_the_batch(returned) -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda items: returned)
    with pytest.raises(RuntimeError, match="results for 1"):
        asyncio.run(group.submit(1))
