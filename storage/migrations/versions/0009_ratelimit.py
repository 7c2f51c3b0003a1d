"""The per-token API rate limit counted in the database, so several web processes share it.

Revision ID: 0009_ratelimit
Revises: 0008_webday
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_ratelimit"
down_revision = "0008_webday"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apirate",
        sa.Column("token_id", sa.String(), primary_key=True),
        sa.Column("minute", sa.Integer(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("apirate")
