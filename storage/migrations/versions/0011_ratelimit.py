"""The per-token API rate limit counted in the database, so several web processes share it.

Revision ID: 0011_ratelimit
Revises: 0010_lifecycle
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_ratelimit"
down_revision = "0010_lifecycle"
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
