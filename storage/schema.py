"""The database schema's version: apply migrations, adopt data dirs made before them, tell when behind.

Revisions live in storage/migrations (alembic). A database made by `create_all` before
migrations existed has every table but no alembic_version: it is checked against the baseline,
stamped, then upgraded like any other.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection, Engine

from storage.fulltext import is_fulltext_table

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001_baseline"


class SchemaError(Exception):
    """The database's schema is not one this code can use or adopt; the message says why."""


def head() -> str:
    newest = ScriptDirectory.from_config(_config()).get_current_head()
    assert newest is not None  # the baseline at least
    return newest


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: Engine) -> bool:
    return current(engine) == head()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # One migrator at a time, and every DDL statement inside this transaction: pysqlite
            # would otherwise commit each on its own, and a crash would leave half a schema.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        before = MigrationContext.configure(connection).get_current_revision()
        if before is None and _has_tables(connection):
            _check_matches_baseline(connection)
            command.stamp(_config(connection), BASELINE)
            before = BASELINE
        elif before is not None and not _known(before):
            raise SchemaError(
                f"the database is at schema revision {before}, which this version does not know "
                "(made by a newer invoice-inbox?)"
            )
        command.upgrade(_config(connection), "head")
    return before, head()


def _known(revision: str) -> bool:
    return any(
        script.revision == revision for script in ScriptDirectory.from_config(_config()).walk_revisions()
    )


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _has_tables(connection: Connection) -> bool:
    return bool(_signature(connection))


def _check_matches_baseline(connection: Connection) -> None:
    """A database without a version must be exactly what the baseline would make, or we stop."""
    reference = create_engine("sqlite://")
    with reference.begin() as blank:
        command.upgrade(_config(blank), BASELINE)
        expected = _signature(blank)
    reference.dispose()
    found = _signature(connection)
    if found != expected:
        missing = sorted(f"{t}: {expected[t]}" for t in expected if found.get(t) != expected[t])
        raise SchemaError(
            "the database has tables but no migration version, and they differ from the baseline "
            f"schema ({'; '.join(missing)[:500]}); it was not made by invoice-inbox"
        )


def _signature(connection: Connection) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Each table's columns and index names, leaving out alembic's and the full-text index's own.

    SQLite cannot reflect expression indexes (the sort keys): they are left out on both sides.
    """
    inspector = inspect(connection)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        return _reflect(inspector)


def _reflect(inspector) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    return {
        table: (
            frozenset(column["name"] for column in inspector.get_columns(table)),
            frozenset(index["name"] for index in inspector.get_indexes(table)),
        )
        for table in inspector.get_table_names()
        if table != "alembic_version" and not is_fulltext_table(table)
    }
