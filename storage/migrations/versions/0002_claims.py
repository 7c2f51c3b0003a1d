"""Claims carry their worker's id, so a worker releases only its own and a restart leaves live ones alone.

Revision ID: 0002_claims
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_claims"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("message", sa.Column("claimed_by", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("message", "claimed_by")
