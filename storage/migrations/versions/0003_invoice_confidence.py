"""The extraction's per-field confidence of a document's invoice, kept as JSON next to its fields.

Revision ID: 0003_invoice_confidence
Revises: 0002_claims
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_invoice_confidence"
down_revision = "0002_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: documents recorded before keep NULL ("no confidence recorded") until
    # they are reprocessed; nothing is rewritten.
    op.add_column("document", sa.Column("invoice_confidence", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("document", "invoice_confidence")
