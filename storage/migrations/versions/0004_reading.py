"""Where a document's text came from (pdf, ocr, xml), and where suppliers print their fields
(learnt from corrections).

Revision ID: 0004_reading
Revises: 0003_invoice_confidence
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_reading"
down_revision = "0003_invoice_confidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("text_source", sa.String(), nullable=True))
    op.create_table(
        "supplierhint",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("supplier", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("place", sa.String(), nullable=False),
        sa.Column("learnt_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "supplier", "field"),
    )


def downgrade() -> None:
    op.drop_table("supplierhint")
    op.drop_column("document", "text_source")
