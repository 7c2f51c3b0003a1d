"""The full-text index holds each document's account id, and every search requires it: a
search walks only its own account's entries (issue 10, item 9).

Revision ID: 0006_fulltext_by_account
Revises: 0005_auth_results
"""

from alembic import op

from storage.fulltext import Split, fulltext_for

revision = "0006_fulltext_by_account"
down_revision = "0005_auth_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    fulltext_for(connection.dialect.name).reinstall(connection, Split.COLUMN)


def downgrade() -> None:
    connection = op.get_bind()
    fulltext_for(connection.dialect.name).reinstall(connection, Split.NONE)
