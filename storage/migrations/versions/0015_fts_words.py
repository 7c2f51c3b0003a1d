"""SQLite's full-text index holds every word with its account in front: a prefix search only
ever gathers the searching account's words (before, a word in 20,000 documents of another
account made a search 1 ms slower, issue 10, item 9).

Revision ID: 0015_fts_words
Revises: 0014_tocheck
"""

from alembic import op

from storage.fulltext import Split, fulltext_for

revision = "0015_fts_words"
down_revision = "0014_tocheck"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":  # PostgreSQL's stays as 0009 made it
        fulltext_for(connection.dialect.name).reinstall(connection, Split.WORDS)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        fulltext_for(connection.dialect.name).reinstall(connection, Split.COLUMN)
