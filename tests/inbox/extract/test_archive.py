import random

from inbox.extract.archive import MAX_ENTRIES, Budget, read_zip
from inbox.extract.model import Decision
from tests.builders import make_zip


def test_more_entries_than_allowed_refuses_the_archive():
    archive = make_zip([(f"{n}.txt", b"x") for n in range(MAX_ENTRIES + 1)])

    unpacked = read_zip(archive, Budget())

    assert unpacked.refused is Decision.TOO_LARGE
    assert unpacked.entries == ()


def test_uncompressed_total_over_the_budget_refuses_the_archive():
    archive = make_zip([("a.bin", random.Random(1).randbytes(2000))])

    unpacked = read_zip(archive, Budget(total_bytes=1000))

    assert unpacked.refused is Decision.TOO_LARGE


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
