"""Alembic's entry: runs revisions on the connection `storage.schema` hands over (never a URL of its own)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()
