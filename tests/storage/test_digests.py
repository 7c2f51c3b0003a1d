"""The digest's claims: one process per account and day, a released claim is taken again, an
expired one too, a sent digest is no longer due; the next digest starts where the last ended."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storage.accounts import create_account
from storage.db import Store
from storage.digests import (
    CLAIM_LEASE,
    accounts_due,
    claim_digest,
    digest_content,
    finish_digest,
    release_digest,
)
from storage.models import DigestRun, utcnow
from storage.rejections import record_rejection

DAY = date(2026, 11, 30)


@pytest.fixture
def account_id(store: Store) -> str:
    with store.session() as session:
        return create_account(
            session=session, name="Acme", email="owner@acme.example", password="pw-123456"
        ).id


def claim(store: Store, account_id: str, holder: str, day: date = DAY) -> bool:
    with store.session() as session:
        return claim_digest(session=session, account_id=account_id, day=day, holder=holder)


def test_one_holder_at_a_time_until_released_or_expired(store: Store, account_id: str):
    assert claim(store, account_id, "a") is True
    assert claim(store, account_id, "b") is False  # another process has it
    with store.session() as session:
        release_digest(session=session, account_id=account_id, day=DAY, holder="a")
    assert claim(store, account_id, "b") is True  # the relay was down: next round retries
    with store.session() as session:
        run = session.get(DigestRun, (account_id, DAY))
        assert run is not None
        run.claimed_until = utcnow() - timedelta(seconds=1)
    assert claim(store, account_id, "c") is True  # "b" died holding it
    with store.session() as session:
        finish_digest(session=session, account_id=account_id, day=DAY, holder="b")  # too late: not its own
        assert accounts_due(session=session, day=DAY) == [account_id]
        finish_digest(session=session, account_id=account_id, day=DAY, holder="c")
        assert accounts_due(session=session, day=DAY) == []
    assert claim(store, account_id, "d") is False
    assert timedelta(minutes=1) < CLAIM_LEASE


def test_the_next_digest_reports_from_where_the_last_one_ended(store: Store, account_id: str):
    assert claim(store, account_id, "a", DAY - timedelta(days=1))
    with store.session() as session:
        record_rejection(
            session=session, account_id=account_id, envelope_from="x@bad.example", envelope_to="i", reason="r"
        )
        first = digest_content(session=session, account_id=account_id, day=DAY - timedelta(days=1))
        finish_digest(session=session, account_id=account_id, day=DAY - timedelta(days=1), holder="a")
    with store.session() as session:
        record_rejection(
            session=session, account_id=account_id, envelope_from="y@bad.example", envelope_to="i", reason="r"
        )
    assert claim(store, account_id, "a")
    with store.session() as session:
        second = digest_content(session=session, account_id=account_id, day=DAY)

    assert [r.sender for r in first.refused] == []  # recorded after the first claim's moment
    assert [r.sender for r in second.refused] == ["x@bad.example", "y@bad.example"]
    assert second.since == first.until
    assert [o.email for o in second.owners] == ["owner@acme.example"]
