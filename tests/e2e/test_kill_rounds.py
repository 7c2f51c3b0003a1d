"""Issue 14, item 10: 20 rounds of `kill -9` of the whole `inbox serve` process group at random
moments under a bounded load (tests/killrounds.py): every mail that got a 250 is exactly one
document, none is lost and none processed twice.

A mail in a worker's hands when its node dies is taken back by the next start and processed
then (that is the recovery, at most one per worker per kill), never finished twice. The seed is
printed (pytest shows it with a failure): `python -m tests.killrounds --seed N` repeats a run.
About 90 s on SQLite on 2 busy cores; PostgreSQL and S3 get fewer rounds (each start is slower).
"""

from __future__ import annotations

import random

from tests.backends import Backend
from tests.killrounds import kill_rounds

ROUNDS = {"sqlite": 20, "postgresql": 6}
WORKERS = 2


def test_kill_9_at_random_moments_loses_nothing_and_duplicates_nothing(backend: Backend) -> None:
    seed = random.SystemRandom().randrange(10**6)
    rounds = ROUNDS[backend.name]
    print(f"kill rounds: seed {seed}")

    outcome = kill_rounds(backend, rounds=rounds, seed=seed, env={"INBOX_WORKERS": str(WORKERS)})

    print(outcome.summary())  # the README's figure, with -s
    assert outcome.accepted >= rounds, outcome.summary()  # the load ran throughout
    assert (outcome.lost, outcome.duplicated, outcome.unexpected) == (0, 0, 0), outcome.summary()
    assert set(outcome.statuses) <= {"processed", "no_documents"}, outcome.summary()  # resent copies
    assert outcome.messages - outcome.accepted <= rounds * 4, outcome.summary()  # one per sender per kill
    assert outcome.processed_twice == 0, outcome.summary()
    assert outcome.taken_back <= rounds * WORKERS, outcome.summary()  # only mails in hand at a kill
    assert outcome.spool_left == 0, outcome.summary()  # the last start swept what the kills left
