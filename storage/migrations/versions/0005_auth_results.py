"""Authentication results of each mail (SPF, DKIM, DMARC) and an account's choice to refuse
mail that fails DMARC.

Revision ID: 0005_auth_results
Revises: 0004_reading
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_auth_results"
down_revision = "0004_reading"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite's table copy would trip over the foreign keys that point here).
    # auth: JSON {"spf", "dkim", "dmarc"}; "" for mail received before this revision.
    op.add_column("message", sa.Column("auth", sa.String(), nullable=False, server_default=""))
    op.add_column(
        "account", sa.Column("refuse_dmarc_failures", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("account", "refuse_dmarc_failures")
    op.drop_column("message", "auth")
