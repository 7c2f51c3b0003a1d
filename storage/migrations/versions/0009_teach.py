"""Corrections that teach: a request per corrected field, for the worker to learn from.

Revision ID: 0009_teach
Revises: 0008_webday
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0009_teach"
down_revision = "0008_webday"
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
