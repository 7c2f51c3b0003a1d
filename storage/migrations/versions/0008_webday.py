"""The web for a working day: corrections, notes, tags, change history, trash, user roles,
time zones and languages.

Revision ID: 0008_webday
Revises: 0007_integrations
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0008_webday"
down_revision = "0007_integrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Users made before roles existed ran the account: they stay owners.
    op.add_column("user", sa.Column("role", sa.String(), nullable=False, server_default="owner"))
    op.add_column("user", sa.Column("time_zone", sa.String(), nullable=False, server_default="UTC"))
    op.add_column("user", sa.Column("language", sa.String(), nullable=False, server_default=""))
    op.add_column("document", sa.Column("corrected_fields", sa.Text(), nullable=True))
    op.add_column("document", sa.Column("note", sa.Text(), nullable=False, server_default=""))
    # document.deleted_at (the trash) comes from 0007_integrations, whose API deletes too.
    op.create_table(
        "documenttag",
        sa.Column("document_id", sa.String(), sa.ForeignKey("document.id"), primary_key=True),
        sa.Column("tag", sa.String(), primary_key=True),
        sa.Column("account_id", sa.String(), sa.ForeignKey("account.id"), nullable=False),
    )
    op.create_index("ix_documenttag_account_tag", "documenttag", ["account_id", "tag"])
    op.create_table(
        "documentchange",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.String(), sa.ForeignKey("document.id"), nullable=False),
        sa.Column("user_email", sa.String(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old", sa.Text(), nullable=False),
        sa.Column("new", sa.Text(), nullable=False),
    )
    op.create_index("ix_documentchange_document_at", "documentchange", ["document_id", "at"])


def downgrade() -> None:
    op.drop_table("documentchange")
    op.drop_table("documenttag")
    for column in ("note", "corrected_fields"):
        op.drop_column("document", column)
    for column in ("language", "time_zone", "role"):
        op.drop_column("user", column)
