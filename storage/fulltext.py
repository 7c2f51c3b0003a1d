"""Full-text search over documents: one interface, an index per database.

Both indexes mirror the searchable columns of `document`, kept in step by triggers, so a search
costs an index lookup, not a scan, and both answer the same: words are runs of letters and digits,
case and accents ignored; every group the user typed must match within one column as a phrase
whose last word may be a prefix ("INV-2026/7" finds INV-2026/71 but not INV-2026 … 7 elsewhere).
- SQLite: an FTS5 table (external content, unicode61 without diacritics).
- PostgreSQL: a `tsvector` per document in `document_fts` with a GIN index, built with the
  'simple' configuration (no stemming, no stop words) from unaccented text.
Both indexes hold the account id too (an FTS5 column; a `#id` lexeme in each vector) and every
match requires it: a search only ever walks its own account's entries, so how long it takes says
nothing about other accounts' documents.
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy import column, literal_column, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

SEARCHED_COLUMNS = ("filename", "sender", "subject", "text", "invoice_number", "seller", "buyer")
INDEXED_COLUMNS = (*SEARCHED_COLUMNS, "account_id")
MAX_TERMS = 12
TABLE_PREFIX = "document_fts"  # the index's own tables: not part of the models' schema


def is_fulltext_table(name: str) -> bool:
    return name.startswith(TABLE_PREFIX)


class FullTextIndex(Protocol):
    def install(self, connection: Connection, columns: tuple[str, ...] = ...) -> None:
        """Create the index (idempotent) and fill it from existing rows when new."""

    def reinstall(self, connection: Connection, columns: tuple[str, ...] = ...) -> None:
        """Build the index again (a migration changing what it holds)."""

    def matching(self, query: str, account_id: str) -> ColumnElement[bool] | None:
        """A condition on the account's `document` rows that contain every word of `query`
        (as prefixes), found without looking at other accounts' entries."""

    def row_matches(
        self, query: str, account_id: str, document_id: ColumnElement[str]
    ) -> ColumnElement[bool] | None:
        """The same condition for a plan that tests the account's rows one by one (walking an
        index of `document` in order) rather than asking the index for every match: on the row
        whose id is `document_id`, in a query that reads `document`."""


def search_terms(query: str) -> list[list[str]]:
    """What the user typed as groups of words: "INV-2026/7 acme" -> [[inv, 2026, 7], [acme]].

    Words joined by punctuation stay together (a phrase); punctuation and FTS syntax are never
    operators here.
    """
    groups = [re.findall(r"\w+", chunk) for chunk in query.lower().split()]
    return [group for group in groups if group][:MAX_TERMS]


class SqliteFullText:
    def install(self, connection: Connection, columns: tuple[str, ...] = INDEXED_COLUMNS) -> None:
        exists = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'document_fts'").first()
        if exists:
            return
        # IF NOT EXISTS: another process (the CLI beside the server) may be installing it too.
        # The SQL is built from the constant column names above, never from input.
        names = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        delete_old = (
            f"INSERT INTO document_fts(document_fts, rowid, {names}) "  # noqa: S608
            f"VALUES ('delete', old.rowid, {old});"
        )
        insert_new = f"INSERT INTO document_fts(rowid, {names}) VALUES (new.rowid, {new});"  # noqa: S608
        trigger = "CREATE TRIGGER IF NOT EXISTS document_fts_{} AFTER {} ON document BEGIN {} END"
        for statement in (
            f"CREATE VIRTUAL TABLE IF NOT EXISTS document_fts USING fts5({names}, "
            "content='document', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
            trigger.format("insert", "INSERT", insert_new),
            trigger.format("delete", "DELETE", delete_old),
            trigger.format("update", "UPDATE", delete_old + " " + insert_new),
            "INSERT INTO document_fts(document_fts) VALUES ('rebuild')",
        ):
            connection.exec_driver_sql(statement)

    def reinstall(self, connection: Connection, columns: tuple[str, ...] = INDEXED_COLUMNS) -> None:
        """Drop the index and its triggers and build it again from `document` (a migration)."""
        for trigger in ("insert", "delete", "update"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS document_fts_{trigger}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS document_fts")
        self.install(connection, columns)

    def matching(self, query: str, account_id: str) -> ColumnElement[bool] | None:
        fts_query = match_expression(query, account_id)
        if fts_query is None:
            return None
        matches = (
            text("SELECT rowid FROM document_fts WHERE document_fts MATCH :fts_query")
            .bindparams(fts_query=fts_query)
            .columns(column("rowid"))
        )
        return literal_column("document.rowid").in_(matches)

    def row_matches(
        self, query: str, account_id: str, document_id: ColumnElement[str]
    ) -> ColumnElement[bool] | None:
        # SQLite reads the subquery's matches once into a lookup table, whatever the plan.
        return self.matching(query, account_id)


def match_expression(query: str, account_id: str) -> str | None:
    """The FTS5 query: every group of words must match (a phrase whose last word may be a
    prefix), and the account's own id (its words as a phrase) scopes it inside the index."""
    terms = search_terms(query)
    if not terms:
        return None
    words = " ".join('"' + " ".join(group) + '"*' for group in terms)
    account = " ".join(re.findall(r"\w+", account_id))
    return f'account_id : "{account}" AND {{{" ".join(SEARCHED_COLUMNS)}}} : ({words})'


def fulltext_for(dialect_name: str) -> FullTextIndex:
    if dialect_name == "sqlite":
        return SqliteFullText()
    if dialect_name == "postgresql":
        from storage.fulltext_postgres import PostgresFullText

        return PostgresFullText()
    raise NotImplementedError(f"no full-text index for {dialect_name}")
