"""Who may hold an SMTP session: per-address and global caps, and mails per minute per address.

A public MX meets clients that open connections and say nothing. Each session costs a
file descriptor; without caps, one address can take every descriptor the process has and
then neither SMTP nor the web can accept anyone. The gate keeps the total below the
open-files limit and keeps any one address to its share.
"""

from __future__ import annotations

import logging
import resource
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from inbox import replies
from inbox.ratelog import Throttle, log_throttled

log = logging.getLogger("inbox.limits")

# Descriptors kept for everything but SMTP sessions: listeners, database, web clients, worker pipes.
FD_RESERVE = 256
MAIL_WINDOW_SECONDS = 60.0


class GatedSession(Protocol):
    peer_ip: str

    def idle(self) -> bool:
        """True when no mail is in progress (nothing is lost by closing it)."""
        ...

    def evict(self, reply: str) -> None:
        """Send `reply` and close the connection."""
        ...


class SessionGate:
    """Admission control for SMTP sessions; its methods are called on the event loop only."""

    def __init__(
        self,
        *,
        max_per_ip: int,
        max_sessions: int,
        mails_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_per_ip = max_per_ip
        self.max_sessions = max_sessions
        self.mails_per_minute = mails_per_minute
        self._clock = clock
        self._by_ip: dict[str, set[GatedSession]] = {}
        self._mails: dict[str, deque[float]] = {}
        self._swept_at = clock()
        self._log_throttle = Throttle(clock=clock)
        self.sessions = 0
        self.draining = False  # shutting down: no new mail is started

    def admit(self, session: GatedSession) -> str | None:
        """None when the session may go on, else the reply to refuse it with."""
        refusal = self._refusal(session.peer_ip)
        if refusal is not None:
            self._log_refusal(session.peer_ip, refusal)
            return refusal
        self._by_ip.setdefault(session.peer_ip, set()).add(session)
        self.sessions += 1
        return None

    def _refusal(self, ip: str) -> str | None:
        if len(self._by_ip.get(ip, ())) >= self.max_per_ip:
            return replies.TOO_MANY_CONNECTIONS
        if self.sessions >= self.max_sessions and not self._make_room_for(ip):
            return replies.TOO_BUSY
        return None

    def _log_refusal(self, ip: str, reply: str) -> None:
        # A crowd is refused thousands of times a second; one line a second tells the story.
        log_throttled(self._log_throttle, log, logging.WARNING, reply, "refused %s: %s", ip, reply)

    def leave(self, session: GatedSession) -> None:
        held = self._by_ip.get(session.peer_ip)
        if held is None or session not in held:
            return
        held.discard(session)
        self.sessions -= 1
        if not held:
            del self._by_ip[session.peer_ip]

    def _make_room_for(self, ip: str) -> bool:
        """When full, the address holding the most sessions gives up an idle one, as long as it
        holds more than the newcomer's would: one address cannot fill the server."""
        heaviest, held = max(self._by_ip.items(), key=lambda item: len(item[1]))
        if heaviest == ip or len(held) <= len(self._by_ip.get(ip, ())) + 1:
            return False
        victim = next((s for s in held if s.idle()), None)
        if victim is None:
            return False
        self.leave(victim)
        victim.evict(replies.TOO_BUSY)
        return True

    def mail_allowed(self, ip: str) -> bool:
        """Count a new mail (MAIL FROM) from `ip`; False once it has started its share this minute."""
        now = self._clock()
        self._sweep(now)
        window = self._mails.setdefault(ip, deque())
        _expire(window, now)
        if len(window) >= self.mails_per_minute:
            self._log_refusal(ip, replies.TOO_MANY_MAILS)
            return False
        window.append(now)
        return True

    def _sweep(self, now: float) -> None:
        # Forget addresses whose last mail is over a minute old, once a minute: memory stays bounded.
        if now - self._swept_at < MAIL_WINDOW_SECONDS:
            return
        self._swept_at = now
        for ip in [ip for ip, window in self._mails.items() if not window or window[-1] <= now - 60]:
            del self._mails[ip]


def _expire(window: deque[float], now: float) -> None:
    while window and window[0] <= now - MAIL_WINDOW_SECONDS:
        window.popleft()


def raise_open_files_limit() -> int:
    """Raise the soft open-files limit to the hard one (as far as allowed); return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def session_cap(configured: int, open_files: int) -> int:
    """The most sessions the descriptors allow: two each (socket and a spool file in DATA)."""
    return max(1, min(configured, (open_files - FD_RESERVE) // 2))
