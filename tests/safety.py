"""Checks every extraction result must pass, whatever the input."""

from __future__ import annotations

from inbox.extract.model import Decision, MailExtraction


def assert_every_part_decided_and_safely_named(result: MailExtraction) -> None:
    paths = [p.path for p in result.parts]
    assert len(paths) == len(set(paths)), "part paths must be unique"
    for part in result.parts:
        assert isinstance(part.decision, Decision)
        assert part.reason
        assert "/" not in part.filename and "\\" not in part.filename
        assert all(ch.isprintable() for ch in part.filename), repr(part.filename)
        assert (part.payload is not None) == (part.decision is Decision.DOCUMENT)
