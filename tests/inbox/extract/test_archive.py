import random

from inbox.extract.archive import MAX_ENTRIES, Budget, read_zip
from inbox.extract.model import Decision
from tests.builders import make_zip


def test_more_entries_than_allowed_refuses_the_archive():
    archive = make_zip([(f"{n}.txt", b"x") for n in range(MAX_ENTRIES + 1)])

    unpacked = read_zip(archive, Budget())

    assert unpacked.refused is Decision.TOO_LARGE
    assert unpacked.entries == ()


def test_an_entry_over_the_bytes_left_is_too_large_and_the_others_are_read():
    noise = random.Random(1).randbytes
    archive = make_zip([("a.pdf", noise(600)), ("big.bin", noise(2000)), ("b.pdf", noise(300))])
    budget = Budget(total_bytes=1000)

    unpacked = read_zip(archive, budget)

    assert unpacked.refused is None
    first, big, last = unpacked.entries
    assert (big.decision, big.payload) == (Decision.TOO_LARGE, None)
    assert big.reason == "2000 bytes uncompressed, limit 400"  # what was left
    assert (len(first.payload or b""), len(last.payload or b"")) == (600, 300)
    assert budget.total_bytes == 100


def test_highly_compressed_entry_is_too_large_and_not_read():
    archive = make_zip([("bomb.txt", bytes(1024 * 1024)), ("ok.txt", b"fine")])

    first, second = read_zip(archive, Budget()).entries

    assert (first.decision, first.payload) == (Decision.TOO_LARGE, None)
    assert "compression ratio" in first.reason
    assert second.payload == b"fine"


def test_damaged_archive_is_corrupt():
    archive = make_zip([("a.pdf", b"%PDF-1.4 data" * 50)])

    unpacked = read_zip(archive[: len(archive) // 2], Budget())

    assert unpacked.refused is Decision.CORRUPT
