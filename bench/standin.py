"""aiosmtpd with a durable accept: the stock peer, and a stand-in for `inbox serve`'s SMTP side.

stock: aiosmtpd as a user would run it, the handler writing each mail durably (write, fsync,
rename, fsync the directory) in a thread before 250, as the Haraka peer's plugin does.
spool: our SpoolingSMTP, each spooled mail adopted as a blob by the file store; no database row.
Run: python -m bench.standin --kind stock|spool --port P --data-dir D.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

from inbox.spool import SpoolingSMTP
from storage.blobs import BlobStore, open_blob_store


class StockHandler:
    def __init__(self, directory: Path) -> None:
        self.temporary = directory / "tmp"
        self.final = directory / "new"
        self.temporary.mkdir(parents=True, exist_ok=True)
        self.final.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.to_thread(self.write, envelope.original_content)
        return "250 2.0.0 Ok: queued"

    def write(self, content: bytes) -> None:
        name = uuid.uuid4().hex
        with (self.temporary / name).open("wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(self.temporary / name, self.final / name)
        directory = os.open(self.final, os.O_RDONLY)  # the rename is durable once this is fsync'd
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class SpoolHandler:
    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.to_thread(self.blobs.adopt, [envelope.spool])
        return "250 2.0.0 Ok: queued"


async def serve(kind: str, host: str, port: int, data_dir: Path) -> None:
    loop = asyncio.get_running_loop()
    if kind == "stock":
        stock = StockHandler(data_dir)
        server = await loop.create_server(lambda: SMTP(stock), host, port)
    else:
        blobs = open_blob_store(None, data_dir)
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
