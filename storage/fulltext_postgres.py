"""Full-text search on PostgreSQL: a `tsvector` per document with a GIN index, filled by a trigger.

It reads words as FTS5's unicode61 tokenizer does (runs of letters and digits, lower case, accents
removed) by rewriting every non-alphanumeric run to a space before the 'simple' configuration (no
stemming, no stop words) sees it. A side table, not an expression index, so that a search never
re-derives vectors from long texts. Needs the `unaccent` extension (trusted: a database owner
may create it) and a UTF-8 database.

Split by account as FTS5 is: each vector holds its account as one lexeme, `#` and the id (text
words are letters and digits only, so no text can pose as an account), and every search
requires it. The GIN lookup intersects the word's entries with the account's, so a search only
ever walks its own account's documents.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from sqlalchemy import column, func, literal_column, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from storage.fulltext import SEARCHED_COLUMNS, Split, search_terms

# How much of one column is indexed: a tsvector holds at most 1 MB (and positions stop at 16383).
INDEXED_CHARS = 262144
# Put between columns and deleted again, so phrases never run from one column into the next.
COLUMN_BREAK = "inboxcolumnbreak"

_COLUMN_WORDS = "to_tsvector('simple', coalesce(inbox_search_words({c}), '')) || '{brk}:1'::tsvector"
_ACCOUNT_WORDS = "inbox_account_words(account_id) || "
# Built from the constants above, never from input. {unaccent} is the extension's schema.
_INSTALL = """
CREATE OR REPLACE FUNCTION inbox_search_words(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    -- unaccent() is only STABLE (its dictionary could change); with the dictionary named it is
    -- safe in an IMMUTABLE function, which the trigger and the query both call.
    SELECT regexp_replace(
        lower({unaccent}.unaccent('{unaccent}.unaccent'::regdictionary, left(value, {chars}))),
        '[^[:alnum:]]+', ' ', 'g')
$$;

-- The account as a lexeme no text can hold: text words are letters and digits only, this one
-- starts with '#'. The id's letters and digits only, so that the literal needs no escaping.
CREATE OR REPLACE FUNCTION inbox_account_words(account_id text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT (quote_literal('#' || regexp_replace(account_id, '[^[:alnum:]]+', '', 'g')) || ':1')::tsvector
$$;

CREATE OR REPLACE FUNCTION inbox_account_query(account_id text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT quote_literal('#' || regexp_replace(account_id, '[^[:alnum:]]+', '', 'g'))::tsquery
$$;

CREATE OR REPLACE FUNCTION inbox_document_words({params}) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ts_delete({account}{vector}, '{brk}')
$$;

-- A phrase of the words of `value` whose last word is a prefix; empty when it has no word.
CREATE OR REPLACE FUNCTION inbox_search_phrase(value text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT CASE WHEN q::text = '' THEN q ELSE (q::text || ':*')::tsquery END
    FROM phraseto_tsquery('simple', inbox_search_words(value)) AS q
$$;

CREATE TABLE IF NOT EXISTS document_fts (
    document_id varchar PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
    words tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_document_fts_words ON document_fts USING gin (words);

CREATE OR REPLACE FUNCTION inbox_document_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO document_fts (document_id, words) VALUES (NEW.id, inbox_document_words({new}))
    ON CONFLICT (document_id) DO UPDATE SET words = EXCLUDED.words;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER document_fts_sync AFTER INSERT OR UPDATE OF {columns} ON document
FOR EACH ROW EXECUTE FUNCTION inbox_document_fts_sync();
"""
_BACKFILL = """
INSERT INTO document_fts (document_id, words)
SELECT id, inbox_document_words({columns}) FROM document
ON CONFLICT DO NOTHING
"""


_DROP = """
DROP TRIGGER IF EXISTS document_fts_sync ON document;
DROP TABLE IF EXISTS document_fts;
DROP FUNCTION IF EXISTS inbox_document_fts_sync();
"""


class PostgresFullText:
    # Split.COLUMN since 0009_pgfts_account: the vectors hold the account as a lexeme.
    def install(self, connection: Connection, split: Split = Split.COLUMN) -> None:
        if split is Split.WORDS:
            raise ValueError("PostgreSQL's index splits accounts by a lexeme (Split.COLUMN)")
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        schema = connection.exec_driver_sql(
            "SELECT quote_ident(extnamespace::regnamespace::text) FROM pg_extension "
            "WHERE extname = 'unaccent'"
        ).scalar_one()
        is_new = connection.exec_driver_sql("SELECT to_regclass('document_fts') IS NULL").scalar_one()
        indexed = ("account_id", *SEARCHED_COLUMNS) if split is Split.COLUMN else SEARCHED_COLUMNS
        names = ", ".join(indexed)
        connection.exec_driver_sql(
            _INSTALL.format(
                unaccent=schema,
                chars=INDEXED_CHARS,
                brk=COLUMN_BREAK,
                params=", ".join(f"{c} text" for c in indexed),
                account=_ACCOUNT_WORDS if split is Split.COLUMN else "",
                vector=" || ".join(_COLUMN_WORDS.format(c=c, brk=COLUMN_BREAK) for c in SEARCHED_COLUMNS),
                new=", ".join(f"NEW.{c}" for c in indexed),
                columns=names,
            )
        )
        if is_new:  # a database that had documents before the index
            connection.exec_driver_sql(_BACKFILL.format(columns=names))

    def reinstall(self, connection: Connection, split: Split = Split.COLUMN) -> None:
        """Drop the index, its trigger and every version of its functions, then build it again
        from `document` (a migration changing what the vectors hold)."""
        connection.exec_driver_sql(_DROP)
        versions = connection.exec_driver_sql(
            "SELECT oid::regprocedure::text FROM pg_proc WHERE proname = 'inbox_document_words'"
        ).scalars()
        for signature in list(versions):  # names from the catalogue, not from input
            connection.exec_driver_sql(f"DROP FUNCTION {signature}")
        self.install(connection, split)

    def matching(self, query: str, account_id: str) -> ColumnElement[bool] | None:
        wanted = _wanted(query)
        if wanted is None:
            return None
        # Two conditions on one GIN index: one scan, both lists of entries intersected.
        matches = select(_INDEX.c.document_id).where(
            _INDEX.c.words.op("@@")(func.inbox_account_query(account_id)), _INDEX.c.words.op("@@")(wanted)
        )
        return literal_column("document.id").in_(matches)

    def row_matches(
        self, query: str, account_id: str, document_id: ColumnElement[str]
    ) -> ColumnElement[bool] | None:
        wanted = _wanted(query)
        if wanted is None:
            return None
        # A scalar subquery, which the planner cannot turn into a join with every match: each
        # row's vector is fetched by its key and tested. The row is already the account's. The
        # query is its own subquery, computed once: a prepared statement's generic plan would
        # otherwise parse the words again for every row (10 times slower).
        words = select(_INDEX.c.words).where(_INDEX.c.document_id == document_id)
        return words.scalar_subquery().op("@@")(select(wanted).scalar_subquery())


_INDEX = table("document_fts", column("document_id"), column("words"))


def _wanted(query: str) -> ColumnElement[Any] | None:
    """Every group of words of `query` as a phrase whose last word is a prefix, all required."""
    terms = search_terms(query)
    if not terms:
        return None
    phrases: list[ColumnElement[Any]] = [func.inbox_search_phrase(" ".join(group)) for group in terms]
    return reduce(lambda left, right: left.op("&&")(right), phrases)
