"""Full-text search over documents: one interface, an index per database.

Both indexes mirror the searchable columns of `document`, kept in step by triggers, so a search
costs an index lookup, not a scan, and both answer the same: words are runs of letters and digits,
case and accents ignored; every group the user typed must match within one column as a phrase
whose last word may be a prefix ("INV-2026/7" finds INV-2026/71 but not INV-2026 … 7 elsewhere).
- SQLite: a contentless FTS5 table (unicode61 without diacritics) of words that carry their
  account; its triggers call a Python function that every connection of ours registers.
- PostgreSQL: a `tsvector` per document in `document_fts` with a GIN index, built with the
  'simple' configuration (no stemming, no stop words) from unaccented text.
Both keep accounts apart inside the index, and every match requires its account (`Split`), so a
search walks only its own account's entries and how long it takes says nothing about other
accounts' documents.
"""

from __future__ import annotations

import re
import sqlite3
from enum import Enum
from typing import Protocol

from sqlalchemy import column, literal_column, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

SEARCHED_COLUMNS = ("filename", "sender", "subject", "text", "invoice_number", "seller", "buyer")
INDEXED_COLUMNS = (*SEARCHED_COLUMNS, "account_id")  # what a document change re-indexes
MAX_TERMS = 12
# A word as both indexes read it: letters and digits (an underscore separates, as in unicode61).
WORD = re.compile(r"[^\W_]+")


class Split(Enum):
    """How an index keeps accounts apart: a migration's layout. Searches use the newest one."""

    NONE = "none"  # 0001: one index for all; the account filtered after the match
    # 0006 (PostgreSQL 0009): the account indexed beside the words and required by every match.
    # A prefix still gathers the entries of every word it starts, in every account, first: on
    # SQLite a word in 20,000 other documents made a search 1 ms slower.
    COLUMN = "column"
    # SQLite 0015: every word is indexed with its account in front (`account_words`), so a
    # prefix only ever starts words of the searching account.
    WORDS = "words"


TABLE_PREFIX = "document_fts"  # the index's own tables: not part of the models' schema


def is_fulltext_table(name: str) -> bool:
    return name.startswith(TABLE_PREFIX)


class FullTextIndex(Protocol):
    def install(self, connection: Connection, split: Split = ...) -> None:
        """Create the index (idempotent) and fill it from existing rows when new."""

    def reinstall(self, connection: Connection, split: Split = ...) -> None:
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
    groups = [WORD.findall(chunk) for chunk in query.lower().split()]
    return [group for group in groups if group][:MAX_TERMS]


ACCOUNT_WORDS_FUNCTION = "inbox_account_words"
# Between an account's tag and a word: a private-use character, which unicode61 keeps inside a
# token and WORD never matches, so no tag and word can pose as another.
_TAG_END = "\ue000"


def account_words(account_id: str, value: object) -> str | None:
    """`value`'s words, each with the account in front: what the SQLite index holds (WORDS).

    The triggers call it for the values they add and, to delete them again, for the values they
    remove: any change to what it returns needs a migration that rebuilds the index.
    """
    if value is None:
        return None
    tag = _account_tag(account_id)
    return " ".join(tag + word for word in WORD.findall(str(value)))


def _account_tag(account_id: str) -> str:
    return "".join(WORD.findall(account_id)) + _TAG_END


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    """What the SQLite index's triggers call; on every connection that may write documents."""
    connection.create_function(ACCOUNT_WORDS_FUNCTION, 2, account_words, deterministic=True)


class SqliteFullText:
    """An FTS5 table: external content (NONE, COLUMN) or, since the words are not the document's
    own (WORDS), contentless."""

    def install(self, connection: Connection, split: Split = Split.WORDS) -> None:
        driver = connection.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):  # a migration's engine may not have it yet
            register_sqlite_functions(driver)
        exists = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'document_fts'").first()
        if exists:
            return
        names = ", ".join(_columns(split))
        if split is Split.WORDS:
            content = "content=''"
            words = _values(split, "document")
            fill = f"INSERT INTO document_fts(rowid, {names}) SELECT rowid, {words} FROM document"  # noqa: S608
        else:
            content = "content='document', content_rowid='rowid'"
            fill = "INSERT INTO document_fts(document_fts) VALUES ('rebuild')"
        # IF NOT EXISTS: another process (the CLI beside the server) may be installing it too.
        # The SQL is built from the constant column names above, never from input.
        delete_old = (
            f"INSERT INTO document_fts(document_fts, rowid, {names}) "  # noqa: S608
            f"VALUES ('delete', old.rowid, {_values(split, 'old')});"
        )
        insert_new = f"INSERT INTO document_fts(rowid, {names}) VALUES (new.rowid, {_values(split, 'new')});"  # noqa: S608
        trigger = "CREATE TRIGGER IF NOT EXISTS document_fts_{} AFTER {} ON document BEGIN {} END"
        for statement in (
            f"CREATE VIRTUAL TABLE IF NOT EXISTS document_fts USING fts5({names}, {content}, "
            "tokenize='unicode61 remove_diacritics 2')",
            trigger.format("insert", "INSERT", insert_new),
            trigger.format("delete", "DELETE", delete_old),
            trigger.format(
                "update", f"UPDATE OF {', '.join(INDEXED_COLUMNS)}", delete_old + " " + insert_new
            ),
            fill,
        ):
            connection.exec_driver_sql(statement)

    def reinstall(self, connection: Connection, split: Split = Split.WORDS) -> None:
        """Drop the index and its triggers and build it again from `document` (a migration)."""
        for trigger in ("insert", "delete", "update"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS document_fts_{trigger}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS document_fts")
        self.install(connection, split)

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


def _values(split: Split, row: str) -> str:
    """What the index gets for `row` (new, old, document): its columns, or their account words."""
    if split is Split.WORDS:
        return ", ".join(f"{ACCOUNT_WORDS_FUNCTION}({row}.account_id, {row}.{c})" for c in SEARCHED_COLUMNS)
    return ", ".join(f"{row}.{c}" for c in _columns(split))


def _columns(split: Split) -> tuple[str, ...]:
    return (*SEARCHED_COLUMNS, "account_id") if split is Split.COLUMN else SEARCHED_COLUMNS


def match_expression(query: str, account_id: str) -> str | None:
    """The FTS5 query (WORDS): every group of words must match, a phrase whose last word may be
    a prefix, each word with the account in front as the index holds it."""
    terms = search_terms(query)
    if not terms:
        return None
    tag = _account_tag(account_id)
    words = " ".join('"' + " ".join(tag + word for word in group) + '"*' for group in terms)
    return f"{{{' '.join(SEARCHED_COLUMNS)}}} : ({words})"


def fulltext_for(dialect_name: str) -> FullTextIndex:
    if dialect_name == "sqlite":
        return SqliteFullText()
    if dialect_name == "postgresql":
        from storage.fulltext_postgres import PostgresFullText

        return PostgresFullText()
    raise NotImplementedError(f"no full-text index for {dialect_name}")
