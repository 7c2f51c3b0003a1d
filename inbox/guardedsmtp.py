"""The SMTP engine's defences for a public MX: caps, deadlines and an error budget.

- A session refused by the `SessionGate` gets its `421` instead of the greeting.
- `INBOX_SMTP_TIMEOUT` bounds the wait for each command line, however slowly its bytes
  come (aiosmtpd's timer restarts only on a complete valid command); the whole of DATA
  has its own deadline. Both answer `421 4.4.2` before closing.
- Every `5xx` reply counts against the session's error budget; when it is spent, the
  client gets `421 4.7.0` and is disconnected (Postfix's smtpd_hard_error_limit).
- Every reply has an enhanced status code (ENHANCEDSTATUSCODES, advertised by the handler's
  EHLO), aiosmtpd's own protocol replies included.
- MAIL FROM counts against the address's mails per minute (`421 4.7.0`); while the
  service shuts down it gets `421 4.3.2`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from aiosmtpd.smtp import syntax

from inbox import replies
from inbox.limits import SessionGate
from inbox.spool import SpoolingSMTP

# aiosmtpd's own replies for these limits say something else than ours (the rest only lack an
# enhanced code: `replies.with_enhanced_code`).
_REWRITES = {
    "530 Must issue a STARTTLS command first": replies.TLS_REQUIRED,
    "552 Error: message size exceeds fixed maximum message size": replies.MESSAGE_TOO_LARGE,  # SIZE=
    "502 5.5.1 Too many unrecognized commands, goodbye.": replies.TOO_MANY_ERRORS,
}


class GuardedSMTP(SpoolingSMTP):
    def __init__(
        self,
        handler: Any,
        *,
        gate: SessionGate,
        data_timeout: float,
        max_errors: int,
        on_reply: Callable[[str], None] = lambda code: None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._on_reply = on_reply  # every reply's code, for the metrics
        self._gate = gate
        self._data_timeout = data_timeout
        self._errors_left = max_errors
        self._refusal: str | None = None
        self._in_data = False
        self.peer_ip = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # STARTTLS calls this again with the TLS transport
        super().connection_made(transport)
        if first:
            peer = transport.get_extra_info("peername")
            self.peer_ip = peer[0] if isinstance(peer, tuple) else str(peer)
            self._refusal = self._gate.admit(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._gate.leave(self)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if self._refusal is not None:
            self._close_with(self._refusal)
            return
        await super()._handle_client()

    # The gate's view of a session.
    def idle(self) -> bool:
        return not self._in_data and (self.envelope is None or self.envelope.mail_from is None)

    def evict(self, reply: str) -> None:
        self._close_with(reply)

    def _close_with(self, reply: str) -> None:
        """Send a last reply and close; no await, so it works from callbacks too."""
        # Not isinstance(asyncio.WriteTransport): uvloop's transports don't derive from it.
        transport = cast(asyncio.WriteTransport, self.transport)
        if transport is not None and not transport.is_closing():
            transport.write(reply.encode() + b"\r\n")
            transport.close()
            self._on_reply(reply[:3])

    def _timeout_cb(self) -> None:
        self._close_with(replies.DATA_TIMEOUT if self._in_data else replies.IDLE_TIMEOUT)

    async def push(self, status: Any) -> None:
        if isinstance(status, str):
            status = replies.with_enhanced_code(_REWRITES.get(status, status))
        await super().push(status)
        head = status[:4] if isinstance(status, str) else status[:4].decode(errors="replace")
        if head[3:] == "-":  # a line of a multi-line reply (EHLO): the reply is counted at its end
            return
        code = head[:3]
        self._on_reply(code)
        if code[:1] == "5":
            self._errors_left -= 1
            if self._errors_left <= 0:
                self._close_with(replies.TOO_MANY_ERRORS)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        if self._gate.draining:
            self._close_with(replies.SHUTTING_DOWN)
            return
        if not self._gate.mail_allowed(self.peer_ip):
            self._close_with(replies.TOO_MANY_MAILS)
            return
        await super().smtp_MAIL(arg)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        self._reset_timeout(self._data_timeout)  # one deadline for the whole message
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self._in_data = False
            if self.transport is not None:
                self._reset_timeout()
