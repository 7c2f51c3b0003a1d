"""A stand-in for `inbox serve`'s SMTP side: aiosmtpd, stock or spooling, with a durable accept.

Each mail becomes a blob file (fsync, rename, directory fsync) before 250, as the
reliability contract demands, but no database row. Run: python -m bench.standin
--kind stock|spool --port P --data-dir D.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import tempfile
from pathlib import Path

from aiosmtpd.smtp import SMTP

from inbox.spool import SpoolingSMTP
from storage.blobs import fsync_dir


def _adopt(temp: Path, blobs: Path, sha256: str) -> None:
    with temp.open("rb+") as file:
        os.fsync(file.fileno())
    os.replace(temp, blobs / sha256)
    fsync_dir(blobs)


class StockHandler:
    def __init__(self, blobs: Path) -> None:
        self.blobs = blobs

    def _store(self, raw: bytes) -> None:
        fd, name = tempfile.mkstemp(dir=self.blobs, prefix="tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
        _adopt(Path(name), self.blobs, hashlib.sha256(raw).hexdigest())

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.to_thread(self._store, envelope.original_content)
        return "250 2.0.0 Ok: queued"


class SpoolHandler:
    def __init__(self, blobs: Path) -> None:
        self.blobs = blobs

    async def handle_DATA(self, server, session, envelope) -> str:
        spool = envelope.spool
        await asyncio.to_thread(_adopt, spool.path, self.blobs, spool.sha256)
        return "250 2.0.0 Ok: queued"


async def serve(kind: str, host: str, port: int, data_dir: Path) -> None:
    blobs = data_dir / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    if kind == "stock":
        handler = StockHandler(blobs)
        server = await asyncio.get_running_loop().create_server(lambda: SMTP(handler), host, port)
    else:
        handler = SpoolHandler(blobs)
        server = await asyncio.get_running_loop().create_server(
            lambda: SpoolingSMTP(handler, spool_dir=blobs), host, port
        )
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
