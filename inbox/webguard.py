"""uvicorn's HTTP protocol with two limits it lacks: a first-request timeout and a connection cap.

uvicorn times out idle keep-alive connections only after a response; a connection that
never sends a request is held forever, so a crowd of them takes every file descriptor
and neither the web nor SMTP can accept anyone. Here the keep-alive timer starts at
connect, and connections beyond the cap are closed at once.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_WEB_CONNECTIONS = 128  # part of limits.FD_RESERVE; a reverse proxy pools its connections


class GuardedH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_WEB_CONNECTIONS:
            transport.close()
            return
        # The same timer uvicorn arms after a response; the first bytes of a request cancel it.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )
