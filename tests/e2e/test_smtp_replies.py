"""Every SMTP reply after EHLO carries an enhanced status code (RFC 2034, RFC 3463), aiosmtpd's
own protocol replies included: a client that sent a bad command learns what kind of problem it
is, as from Postfix."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from tests.service import Service
from tests.smtpclients import command, connect, read_line

# Protocol replies before anything is stored: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic

ENHANCED = re.compile(rb"(\d)\d\d ([245])\.\d{1,3}\.\d{1,3} \S")


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    svc = Service(data_dir=tmp_path_factory.mktemp("replies") / "data", env={"INBOX_SMTP_MAX_ERRORS": "50"})
    yield svc.start()
    svc.stop()


def greeted_with_ehlo(sock: socket.socket) -> list[bytes]:
    """Read the greeting, send EHLO, and return every line of its reply."""
    read_line(sock)
    sock.sendall(b"EHLO client.example\r\n")
    lines = [read_line(sock)]
    while lines[-1][3:4] == b"-":
        lines.append(read_line(sock))
    return lines


def test_ehlo_advertises_enhanced_status_codes(service: Service):
    sock = connect(service.smtp_port)
    try:
        lines = greeted_with_ehlo(sock)
    finally:
        sock.close()

    assert b"250-ENHANCEDSTATUSCODES" in lines
    assert lines[-1].startswith(b"250 ")  # still one reply, ended by its last line


@pytest.mark.parametrize(
    "commands",
    [
        ["NOOP", "RSET", "HELP", "HELP MAIL", "VRFY someone@example.org"],
        ["XYZZY", "EXPN staff", "STARTTLS", "DATA", "RCPT TO:<a@b.example>"],
        ["MAIL FROM:<a@b.example> BOGUS=1", "MAIL FROM:<a@b.example>", "MAIL FROM:<a@b.example>"],
        ["MAIL FROM:<a@b.example>", "RCPT TO:<someone@elsewhere.example> NOTIFY=NEVER", "RCPT TO:<broken"],
        ["QUIT"],
    ],
)
def test_every_reply_after_ehlo_has_an_enhanced_code_of_its_class(service: Service, commands: list[str]):
    sock = connect(service.smtp_port)
    try:
        read_line(sock)
        command(sock, "EHLO client.example")
        answered = [(line, command(sock, line)) for line in commands]
    finally:
        sock.close()

    for line, reply in answered:
        match = ENHANCED.match(reply)
        assert match, (line, reply)
        assert match[1] == match[2], (line, reply)  # 5xx with 5.x.x, 2xx with 2.x.x


def test_pipelined_commands_are_answered_in_order_and_the_mail_is_kept(service: Service):
    """RFC 2920: a client that saw PIPELINING sends the envelope and DATA in one go."""
    account = service.create_account("Pipelined", "owner@pipelined.example")
    sock = connect(service.smtp_port)
    try:
        capabilities = greeted_with_ehlo(sock)
        sock.sendall(
            b"MAIL FROM:<billing@supplier.example>\r\n"
            b"RCPT TO:<nobody@inbox.localhost>\r\n"
            + f"RCPT TO:<{account.inbox_address}>\r\n".encode()
            + b"DATA\r\n"
        )
        envelope = [read_line(sock) for _ in range(4)]
        sock.sendall(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        end = [read_line(sock), read_line(sock)]
    finally:
        sock.close()

    assert b"250-PIPELINING" in capabilities
    assert [reply[:9] for reply in envelope] == [b"250 2.1.0", b"550 5.1.1", b"250 2.1.5", b"354 End d"]
    assert end[0].startswith(b"250 2.0.0 Ok: queued as ") and end[1] == b"221 2.0.0 Bye"
    assert len(service.client(account).get("/api/messages").json()["items"]) == 1
