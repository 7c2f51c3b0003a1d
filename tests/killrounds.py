"""Rounds of `kill -9` under a bounded load: `inbox serve` (its whole process group) dies at a
random moment while a few senders deliver distinct invoices, and starts again, over and over.

Each sender is an MTA in miniature: one mail at a time, sent again (to whatever port the node
listens on now) until it gets its 250, so a mail stored but not yet answered when the node died
arrives twice. At the end the last node runs until nothing waits, and the outcome is read from
the store: which PDFs became documents, how often each mail was claimed, what the spool holds.

Used by tests/e2e/test_kill_rounds.py; `python -m tests.killrounds` prints the README's figure.
"""

from __future__ import annotations

import email.policy
import hashlib
import os
import random
import re
import smtplib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for

SENDER = "billing@supplier.example"
# Lines of the service's log (every node of the run appends to the same file).
TAKEN_BACK = re.compile(r"took back (\d+) mail\(s\) claimed by a worker that died")
PROCESSED = re.compile(r"inbox\.pipeline: processed id=(\w+) ")


@dataclass
class Senders:
    """Concurrent senders, each delivering its own distinct invoices until told to stop."""

    recipient: str
    port: int
    clients: int
    sent: dict[str, int] = field(default_factory=dict)  # sha256 of each accepted PDF -> its mail number
    attempts: int = 0  # SMTP transactions tried, 250 or not
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[BaseException] = field(default_factory=list)

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, args=(c,), daemon=True) for c in range(self.clients)]
        for thread in threads:
            thread.start()
        return threads

    def _client(self, number: int) -> None:
        try:
            for n in range(number, 10**9, self.clients):
                if self.stop.is_set():
                    return
                pdf = make_pdf(["INVOICE", f"Invoice No. KR-{n:05d}", f"Total: {n}.00 EUR"])
                raw = make_mail(
                    to=self.recipient,
                    subject=f"Invoice KR-{n:05d}",
                    attachments=[(f"kr-{n:05d}.pdf", pdf, "application/pdf")],
                ).as_bytes(policy=email.policy.SMTP)
                self._deliver(raw)  # finishes the mail in hand even after `stop`
                with self.lock:
                    self.sent[hashlib.sha256(pdf).hexdigest()] = n
        except BaseException as err:  # the test reports it rather than a silent thread
            self.errors.append(err)

    def _deliver(self, raw: bytes) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with self.lock:
                self.attempts += 1
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
                    if client.sendmail(SENDER, [self.recipient], raw) == {}:
                        return
            except (OSError, smtplib.SMTPException):  # killed, restarting, 4xx: try again
                time.sleep(0.2)
        raise TimeoutError("a mail got no 250 in 120 s")


@dataclass(frozen=True)
class Outcome:
    rounds: int
    seed: int
    seconds: float
    attempts: int  # SMTP transactions tried
    accepted: int  # distinct mails that got a 250
    lost: int  # accepted mails that are not a document
    duplicated: int  # accepted mails that are more than one document
    unexpected: int  # documents of no accepted mail
    messages: int  # Message rows (a mail stored but not answered before a kill is sent again)
    taken_back: int  # mails in a worker's hands at a kill, freed by the next start (its log)
    processed_twice: int  # messages whose processing finished more than once (its log)
    statuses: dict[str, int]
    spool_left: int  # spool files left once the last node has started (it sweeps the killed ones')

    def summary(self) -> str:
        return (
            f"{self.rounds} rounds of kill -9 (seed {self.seed}) in {self.seconds:.0f} s: "
            f"{self.attempts} SMTP transactions, {self.accepted} mails accepted, {self.lost} lost, "
            f"{self.duplicated} duplicated, {self.unexpected} unexpected documents; "
            f"{self.messages} messages ({self.messages - self.accepted} resent after a kill before the 250), "
            f"{self.taken_back} taken back from a killed worker, {self.processed_twice} processed twice, "
            f"statuses {self.statuses}, "
            f"{self.spool_left} spool file(s) left"
        )


def kill_rounds(
    backend: Backend,
    *,
    rounds: int,
    seed: int,
    clients: int = 4,
    moment: tuple[float, float] = (0.2, 3.0),
    env: dict | None = None,
) -> Outcome:
    """Kill `inbox serve` `rounds` times, each `moment` seconds (uniform, seeded) after it is ready."""
    chance = random.Random(seed)
    settings = {**backend.env, **(env or {})}
    started = time.monotonic()
    service = Service(backend.data_dir, env=settings, own_process_group=True).start()
    account = service.create_account("Acme", "owner@acme.example")
    senders = Senders(account.inbox_address, service.smtp_port, clients)
    threads = senders.run()
    try:
        for _ in range(rounds):
            time.sleep(chance.uniform(*moment))
            service.kill_group()
            service = Service(backend.data_dir, env=settings, own_process_group=True).start()
            senders.port = service.smtp_port
        senders.stop.set()
        for thread in threads:
            thread.join(timeout=150)
        assert not senders.errors, senders.errors
        seconds = time.monotonic() - started
        return _outcome(backend, account.id, senders, rounds, seed, seconds, service)
    finally:
        senders.stop.set()
        service.stop()


def _outcome(
    backend: Backend,
    account_id: str,
    senders: Senders,
    rounds: int,
    seed: int,
    seconds: float,
    service: Service,
) -> Outcome:
    store = backend.open_store()
    try:

        def settled() -> bool:
            with store.engine.connect() as db:
                return not db.execute(text("SELECT 1 FROM message WHERE status = 'received'")).first()

        wait_for(settled, timeout=120, interval=0.2)
        with store.engine.connect() as db:
            documents = Counter(
                db.execute(
                    text("SELECT sha256 FROM document WHERE account_id = :a"), {"a": account_id}
                ).scalars()
            )
            by_status = db.execute(text("SELECT status, count(*) FROM message GROUP BY status"))
            statuses: dict[str, int] = {status: count for status, count in by_status}
    finally:
        store.engine.dispose()
    accepted, log = set(senders.sent), service.log()  # read once nothing waits
    return Outcome(
        rounds=rounds,
        seed=seed,
        seconds=seconds,
        attempts=senders.attempts,
        accepted=len(accepted),
        lost=sum(1 for sha in accepted if documents[sha] == 0),
        duplicated=sum(1 for sha in accepted if documents[sha] > 1),
        unexpected=sum(count for sha, count in documents.items() if sha not in accepted),
        messages=sum(statuses.values()),
        taken_back=sum(int(n) for n in TAKEN_BACK.findall(log)),
        processed_twice=sum(1 for count in Counter(PROCESSED.findall(log)).values() if count > 1),
        statuses=statuses,
        spool_left=len(list(backend.open_blob_store().spool_dir.iterdir())),
    )


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=random.SystemRandom().randrange(10**6))
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        outcome = kill_rounds(
            Backend(name="sqlite", data_dir=Path(scratch) / "data"),
            rounds=arguments.rounds,
            seed=arguments.seed,
        )
    print(f"{time.strftime('%Y-%m-%d')}, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(outcome.summary())
