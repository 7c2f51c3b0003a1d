"""Password-reset links on the store: single use, expiring, every other link of the user spent
with it, the user's sessions ended; unknown addresses get no link."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.accounts import authenticate, create_account, resume_session, start_session_for
from storage.db import Store
from storage.models import PasswordReset, User, utcnow
from storage.resets import create_reset, reset_is_valid, use_reset


def test_a_link_works_once_and_spends_the_others(store: Store):
    with store.session() as session:
        account = create_account(
            session=session, name="Acme", email="owner@acme.example", password="old pw 12"
        )
        user_id = session.exec(select(User.id).where(User.account_id == account.id)).one()
        cookie = start_session_for(session=session, user_id=user_id)
        first = create_reset(session=session, email="Owner@Acme.example")
        second = create_reset(session=session, email="owner@acme.example")
        assert create_reset(session=session, email="nobody@acme.example") is None
    assert first is not None and second is not None
    with store.session() as session:
        stored = {row.token_hash for row in session.exec(select(PasswordReset))}
        assert first[0] not in stored  # only hashes are kept
        assert use_reset(session=session, token=first[0], password="new pw 123") is True
    with store.session() as session:
        assert use_reset(session=session, token=first[0], password="again pw 1") is False
        assert reset_is_valid(session=session, token=second[0]) is False  # spent with the first
        assert resume_session(session=session, token=cookie) is None
        assert authenticate(session=session, email="owner@acme.example", password="new pw 123") is not None


def test_an_expired_link_does_nothing(store: Store):
    with store.session() as session:
        create_account(session=session, name="Acme", email="owner@acme.example", password="old pw 12")
        made = create_reset(session=session, email="owner@acme.example")
    assert made is not None
    with store.session() as session:
        for row in session.exec(select(PasswordReset)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    with store.session() as session:
        assert reset_is_valid(session=session, token=made[0]) is False
        assert use_reset(session=session, token=made[0], password="new pw 123") is False
        assert authenticate(session=session, email="owner@acme.example", password="old pw 12") is not None
