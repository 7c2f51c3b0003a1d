"""A stand-in for `inbox serve`'s SMTP side: aiosmtpd, stock or spooling, with a durable accept.

Each mail becomes a blob in the file store (fsync, rename, directory fsync) before 250, as
the reliability contract demands, but no database row. Run: python -m bench.standin
--kind stock|spool --port P --data-dir D.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

from inbox.spool import SpoolingSMTP
from storage.blobs import BlobStore, open_blob_store


class StockHandler:
    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.to_thread(self.blobs.put, envelope.original_content)
        return "250 2.0.0 Ok: queued"


class SpoolHandler:
    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.to_thread(self.blobs.adopt, [envelope.spool])
        return "250 2.0.0 Ok: queued"


async def serve(kind: str, host: str, port: int, data_dir: Path) -> None:
    blobs = open_blob_store(None, data_dir)
    loop = asyncio.get_running_loop()
    if kind == "stock":
        stock = StockHandler(blobs)
        server = await loop.create_server(lambda: SMTP(stock), host, port)
    else:
        spool = SpoolHandler(blobs)
        server = await loop.create_server(lambda: SpoolingSMTP(spool, spool_dir=blobs.spool_dir), host, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.standin")
    parser.add_argument("--kind", choices=["stock", "spool"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.kind, args.host, args.port, args.data_dir))


if __name__ == "__main__":
    main()
