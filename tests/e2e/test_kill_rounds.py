"""Issue 14, item 10: 20 rounds of `kill -9` of the whole `inbox serve` process group at random
moments under a bounded load (tests/killrounds.py): every mail that got a 250 is exactly one
document, none is lost and none processed twice.

A mail in a worker's hands when its node dies is claimed again after the restart (that is the
recovery), at most one per worker per kill; the seed is in the failure message, so a failing
run can be repeated with `python -m tests.killrounds --seed N`.
"""

from __future__ import annotations

import random

from tests.backends import Backend
from tests.killrounds import kill_rounds

ROUNDS = {"sqlite": 20, "postgresql": 8}  # PostgreSQL and S3 start slower: fewer rounds, same checks
WORKERS = 2


def test_kill_9_at_random_moments_loses_nothing_and_duplicates_nothing(backend: Backend) -> None:
    seed = random.SystemRandom().randrange(10**6)
    rounds = ROUNDS[backend.name]

    outcome = kill_rounds(backend, rounds=rounds, seed=seed, env={"INBOX_WORKERS": str(WORKERS)})

    print(outcome.summary())  # the README's figure, with -s
    assert outcome.accepted >= rounds, outcome.summary()  # the load ran throughout
    assert (outcome.lost, outcome.duplicated, outcome.unexpected) == (0, 0, 0), outcome.summary()
    assert set(outcome.statuses) <= {"processed", "no_documents"}, outcome.summary()  # resent copies
    assert outcome.messages - outcome.accepted <= rounds * 4, outcome.summary()  # one per sender per kill
    assert outcome.claimed_again <= rounds * WORKERS, outcome.summary()
    assert outcome.spool_left == 0, outcome.summary()  # the last start swept what the kills left
