"""PostgreSQL's full-text vectors hold each document's account, and every search requires it,
as SQLite's index has since 0006: a search walks only its own account's entries.

Revision ID: 0009_pgfts_account
Revises: 0008_webday
"""

from alembic import op

from storage.fulltext import Split, fulltext_for

revision = "0009_pgfts_account"
down_revision = "0008_webday"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":  # SQLite's index is split since 0006
        fulltext_for(connection.dialect.name).reinstall(connection, Split.COLUMN)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        fulltext_for(connection.dialect.name).reinstall(connection, Split.NONE)
