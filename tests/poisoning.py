"""Senders with undecodable addresses beside normal ones, counted reply by reply.

`python -m tests.poisoning [SECONDS]` starts a fresh `inbox serve`, runs 2 poisoning and
8 normal clients and prints how many normal mails were refused (the figure of issue 10).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from tests.smtpwire import Wire

NORMAL_MAIL = b"Subject: invoice\r\nFrom: a@supplier.example\r\n\r\nPlease pay.\r\n"


def bad_senders(inbox_address: str) -> list[tuple[bytes, list[bytes]]]:
    """A Latin-1 byte in MAIL FROM, and one in a recipient's +tag."""
    local, domain = inbox_address.encode().split(b"@")
    return [
        (b"j\xfcrgen@example.org", [inbox_address.encode()]),
        (b"billing@supplier.example", [local + b"+r\xe9f@" + domain]),
    ]


def run_load(port: int, inbox_address: str, *, seconds: float, poisoners: int = 2, normal: int = 8):
    """Returns (normal replies, poisoning replies) as Counters of reply codes."""
    stop = time.monotonic() + seconds
    normal_codes: Counter[int] = Counter()
    bad_codes: Counter[int] = Counter()
    lock = threading.Lock()
    poisons = bad_senders(inbox_address)

    def client(envelopes: list[tuple[bytes, list[bytes]]], codes: Counter[int]) -> None:
        n = 0
        while time.monotonic() < stop:
            try:
                with Wire(port) as wire:
                    while time.monotonic() < stop:
                        sender, recipients = envelopes[n % len(envelopes)]
                        code, _ = wire.mail(sender, recipients, NORMAL_MAIL)
                        with lock:
                            codes[code] += 1
                        n += 1
                        if code == 421:  # a session's error budget is spent: a client reconnects
                            break
            except ConnectionError:  # closed under us (after a 421): counted, then a new session
                with lock:
                    codes[0] += 1

    normal_envelope = [(b"billing@supplier.example", [inbox_address.encode()])]
    threads = [threading.Thread(target=client, args=(poisons, bad_codes)) for _ in range(poisoners)]
    threads += [threading.Thread(target=client, args=(normal_envelope, normal_codes)) for _ in range(normal)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return normal_codes, bad_codes


def main(seconds: float) -> None:
    from tests.service import Service

    with tempfile.TemporaryDirectory() as tmp:
        # Every client shares 127.0.0.1: lift the per-address mail rate (ops' limit, tested on its
        # own), or what is counted is that budget's 421s, not the batch (as in test_bad_addresses).
        env = {"INBOX_MAILS_PER_MINUTE_PER_IP": "100000"}
        service = Service(Path(tmp) / "data", env=env).start()
        try:
            account = service.create_account("Acme", "owner@acme.example")
            normal, bad = run_load(service.smtp_port, account.inbox_address, seconds=seconds)
        finally:
            service.stop()
    refused = sum(n for code, n in normal.items() if code != 250)
    total = sum(normal.values())
    print(f"normal mails: {total}, refused {refused} ({refused / max(total, 1):.0%}): {dict(normal)}")
    print(f"poisoning mails: {dict(bad)}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20)
