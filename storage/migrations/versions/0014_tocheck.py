"""Documents to check: a field read with little confidence that nobody corrected, kept as a
column so the documents list can filter on it.

Revision ID: 0014_tocheck
Revises: 0013_logins
"""

import sqlalchemy as sa
from alembic import op

from storage.to_check import COLUMNS, needs_check

revision = "0014_tocheck"
down_revision = "0013_logins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("to_check", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Documents read before: set from their recorded confidences (only text-read ones can be).
    document = sa.table("document", sa.column("id"), sa.column("to_check"), *(sa.column(n) for n in COLUMNS))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(document).where(
            document.c.invoice_source == "text", document.c.invoice_confidence.is_not(None)
        )
    ).mappings()
    flagged = [row["id"] for row in rows if needs_check(dict(row))]
    for start in range(0, len(flagged), 500):
        bind.execute(
            document.update().where(document.c.id.in_(flagged[start : start + 500])).values(to_check=True)
        )


def downgrade() -> None:
    op.drop_column("document", "to_check")
