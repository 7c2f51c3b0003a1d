"""Mails refused because of the account's allowed-senders list, kept so the account can see them."""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from storage.models import RejectedMail
from storage.read_models import RejectionRead, rejection_read

KEEP_PER_ACCOUNT = 200  # a sender retrying all day must not grow the table without bound


def record_rejection(
    *, session: Session, account_id: str, envelope_from: str, envelope_to: str, reason: str
) -> None:
    session.add(
        RejectedMail(
            account_id=account_id,
            envelope_from=envelope_from[:320],
            envelope_to=envelope_to[:320],
            reason=reason[:300],
        )
    )
    session.flush()
    keep = (
        select(RejectedMail.id)
        .where(RejectedMail.account_id == account_id)
        .order_by(col(RejectedMail.at).desc(), col(RejectedMail.id).desc())
        .limit(KEEP_PER_ACCOUNT)
    )
    session.exec(
        delete(RejectedMail).where(
            col(RejectedMail.account_id) == account_id, col(RejectedMail.id).not_in(keep)
        )
    )


def recent_rejections(*, session: Session, account_id: str, limit: int = 20) -> list[RejectionRead]:
    rows = session.exec(
        select(RejectedMail)
        .where(RejectedMail.account_id == account_id)
        .order_by(col(RejectedMail.at).desc(), col(RejectedMail.id).desc())
        .limit(limit)
    )
    return [rejection_read(row) for row in rows]
