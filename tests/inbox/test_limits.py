"""SessionGate: per-address and global caps, who yields when full, mails per minute."""

from __future__ import annotations

from dataclasses import dataclass, field

from inbox import replies
from inbox.limits import FD_RESERVE, SessionGate, session_cap


@dataclass(eq=False)
class FakeSession:
    peer_ip: str
    busy: bool = False
    evicted_with: list[str] = field(default_factory=list)

    def idle(self) -> bool:
        return not self.busy

    def evict(self, reply: str) -> None:
        self.evicted_with.append(reply)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def gate(**limits) -> SessionGate:
    return SessionGate(**{"max_per_ip": 100, "max_sessions": 100, "mails_per_minute": 100, **limits})


def test_an_address_beyond_its_share_is_refused_and_admitted_again_after_one_leaves():
    g = gate(max_per_ip=2)
    first, second, third = (FakeSession("192.0.2.1") for _ in range(3))

    assert g.admit(first) is None and g.admit(second) is None
    assert g.admit(third) == replies.TOO_MANY_CONNECTIONS
    g.leave(first)
    g.leave(first)  # a second leave (evicted, then lost) changes nothing
    assert g.admit(third) is None
    assert g.sessions == 2


def test_when_full_the_heaviest_address_yields_an_idle_session_to_another():
    g = gate(max_sessions=4)
    crowd = [FakeSession("192.0.2.1", busy=i == 0) for i in range(3)]
    for session in [*crowd, FakeSession("198.51.100.7")]:
        assert g.admit(session) is None

    newcomer = FakeSession("203.0.113.9")
    assert g.admit(newcomer) is None

    evicted = [s for s in crowd if s.evicted_with]
    assert len(evicted) == 1 and evicted[0].evicted_with == [replies.TOO_BUSY]
    assert evicted[0] is not crowd[0]  # a session in the middle of a mail is never the one
    assert g.sessions == 4


def test_when_full_the_heaviest_address_itself_is_refused():
    g = gate(max_sessions=3)
    for _ in range(3):
        g.admit(FakeSession("192.0.2.1"))

    assert g.admit(FakeSession("192.0.2.1")) == replies.TOO_BUSY


def test_when_full_of_busy_sessions_a_newcomer_is_refused():
    g = gate(max_sessions=2)
    for _ in range(2):
        g.admit(FakeSession("192.0.2.1", busy=True))

    assert g.admit(FakeSession("203.0.113.9")) == replies.TOO_BUSY


def test_mails_per_minute_slide_with_time_and_are_counted_per_address():
    clock = Clock()
    g = gate(mails_per_minute=3, clock=clock)

    assert [g.mail_allowed("192.0.2.1") for _ in range(4)] == [True, True, True, False]
    assert g.mail_allowed("203.0.113.9")
    clock.now = 60.5
    assert g.mail_allowed("192.0.2.1")


def test_the_session_cap_leaves_room_for_everything_else_under_the_open_files_limit():
    assert session_cap(2000, 1024) == (1024 - FD_RESERVE) // 2
    assert session_cap(100, 1_048_576) == 100
    assert session_cap(2000, 100) == 1
