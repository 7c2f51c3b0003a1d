"""Group commit: the mails that arrive while one batch is being made durable form the next batch.

Each fsync and each database commit costs about the same for one mail as for twenty, so
under load they are paid once per batch. Nobody waits for a timer: a lone mail is
flushed at once; a batch is whatever queued up during the previous flush. Every caller
still gets its own result only after the flush that contains its item has returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Runs `flush(items) -> results` (blocking, same order) in a thread, one batch at a time.

    A result that is an exception is raised to its own caller only.
    """

    def __init__(
        self, flush: Callable[[list[Item]], Sequence[Result | Exception]], *, max_batch: int = 256
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        waiter: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, waiter))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._drain())
        return await waiter

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            try:
                results = await asyncio.to_thread(self._flush, [item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"flush returned {len(results)} results for {len(batch)}")
            except Exception as err:  # the whole batch failed: every sender must retry
                for _, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(err)
                continue
            for (_, waiter), result in zip(batch, results, strict=True):
                if waiter.done():  # a caller whose connection dropped stopped waiting
                    continue
                if isinstance(result, Exception):
                    waiter.set_exception(result)
                else:
                    waiter.set_result(result)
