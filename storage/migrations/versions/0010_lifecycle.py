"""Data lifecycle: when a message's raw mail was removed by INBOX_RAW_RETENTION_DAYS.

Revision ID: 0010_lifecycle
Revises: 0009_pgfts_account
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0010_lifecycle"
down_revision = "0009_pgfts_account"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("message", sa.Column("raw_removed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("message", "raw_removed_at")
