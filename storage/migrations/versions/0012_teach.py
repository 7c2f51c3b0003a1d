"""Corrections that teach: a request per corrected field, for the worker to learn from.

Revision ID: 0012_teach
Revises: 0011_ratelimit
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0012_teach"
down_revision = "0011_ratelimit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teachrequest",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("document_id", sa.String(), sa.ForeignKey("document.id"), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("teachrequest")
