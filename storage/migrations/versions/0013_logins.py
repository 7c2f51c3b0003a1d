"""Logins: known devices, password-reset links, the daily digest's claims.

Revision ID: 0013_logins
Revises: 0012_teach
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0013_logins"
down_revision = "0012_teach"
branch_labels = None
depends_on = None


def _user_ref() -> sa.Column:
    return sa.Column("user_id", sa.String(), sa.ForeignKey("user.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "knowndevice",
        sa.Column("token_hash", sa.String(), primary_key=True),
        _user_ref(),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_knowndevice_user_id", "knowndevice", ["user_id"])
    op.create_table(
        "passwordreset",
        sa.Column("token_hash", sa.String(), primary_key=True),
        _user_ref(),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_passwordreset_user_id", "passwordreset", ["user_id"])
    op.create_table(
        "digestrun",
        sa.Column("account_id", sa.String(), sa.ForeignKey("account.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=False),
        sa.Column("covered_until", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("digestrun")
    op.drop_table("passwordreset")
    op.drop_table("knowndevice")
