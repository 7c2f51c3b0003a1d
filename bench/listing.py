"""From 250 to listed: when does an accepted mail show up as a document in /api/documents?"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx

from bench.inbox_serve import Web

POLL_SECONDS = 0.02


ACCEPTED = re.compile(r"accepted queued=(\w+) id=(\w+)")


def queued_id(reply: str) -> str:
    """The transaction's token in "250 2.0.0 Ok: queued as <token>"."""
    return reply.rsplit(" ", 1)[-1]


def message_ids(log: Path) -> dict[str, str]:
    """Token of each accepted mail -> its message id, from the server's log (the sender is
    told a token only: a message id belongs to one account)."""
    return dict(ACCEPTED.findall(log.read_text(errors="replace")))


async def watch_listing(web: Web, wanted: set[str], seen: dict[str, float], until: float) -> None:
    """Record in `seen` when each message's document is first listed, until all are or time is up.

    `wanted` may grow while this runs (mails still being sent).
    """
    async with httpx.AsyncClient(base_url=web.base_url, cookies=web.cookies, timeout=10) as api:
        while time.monotonic() < until and not (wanted and wanted <= seen.keys()):
            await _poll(api, wanted, seen)
            await asyncio.sleep(POLL_SECONDS)


async def _poll(api: httpx.AsyncClient, wanted: set[str], seen: dict[str, float]) -> None:
    cursor = None
    while True:  # newest first; follow pages only while they hold documents not seen before
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/api/documents", params=params)).raise_for_status().json()
        now = time.monotonic()
        fresh = [d["message"] for d in page["items"] if d["message"] not in seen]
        for message in fresh:
            seen[message] = now
        cursor = page.get("next_cursor")
        if not cursor or len(fresh) < len(page["items"]):
            return
