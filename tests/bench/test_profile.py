"""The profile's breakdown: py-spy's raw samples sorted into steps, per process."""

from __future__ import annotations

from bench.profile import breakdown

SERVE = 'process 10:"python -m inbox serve"'
WORKER = SERVE + ';process 11:"python -c from multiprocessing.spawn import spawn_main"'


def test_samples_are_shared_out_by_step_and_process() -> None:
    raw = "\n".join(
        [
            f"{SERVE};_serve (inbox/cli.py:122);_fsync_file (storage/blobs/files.py:123) 30",
            f"{SERVE};_serve (inbox/cli.py:122);select (selectors.py:468) 10",
            f"{WORKER};_main (inbox/workerprocess.py:79);read (pypdf/_reader.py:12) 60",
        ]
    )

    table = breakdown(raw).splitlines()

    assert table[2] == "| worker | MIME + PDF extraction | 60.0% |"
    assert table[3] == "| serve | fsync of blob files | 30.0% |"
    assert table[4] == "| serve | event loop, thread hand-offs | 10.0% |"
