"""Migrations: a fresh database equals the models, and a data dir made by the code before
migrations (main at 265ca85, run for real) is adopted without losing a row."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

from storage import schema
from storage.db import open_store
from storage.document_search import DocumentFilter, search_documents
from storage.fulltext import is_fulltext_table
from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.e2e.test_core import send
from tests.service import Service, inbox_cli, wait_for

ROOT = Path(__file__).resolve().parents[2]
BEFORE_MIGRATIONS = "265ca85"  # main just before alembic came in: tables from create_all


def test_a_fresh_database_through_the_migrations_equals_the_models(backend: Backend) -> None:
    store = backend.open_store()
    schema.migrate(store.engine)
    diff = _compare(store.engine)
    assert diff == [], f"the models changed without a migration: {diff}"
    assert schema.current(store.engine) == schema.head()
    if backend.name == "sqlite":  # elsewhere test_document_search checks each sort uses its index
        with store.engine.connect() as connection:
            indexes = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            stored = {name: sql for name, sql in indexes}
        expressions = [
            index
            for table in SQLModel.metadata.tables.values()
            for index in table.indexes
            if any(not isinstance(e, Column) for e in index.expressions)
        ]
        assert len(expressions) == 3
        for index in expressions:
            expected = str(CreateIndex(index).compile(dialect=store.engine.dialect))
            assert " ".join(stored[index.name].split()) == " ".join(expected.split())
    store.engine.dispose()


def _compare(engine) -> list:
    """alembic's differences between the database and the models, but for expression indexes
    (alembic cannot compare them: they are compared above and by their use)."""
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "(?i).*expression-based index")
        return compare_metadata(
            MigrationContext.configure(
                connection,
                opts={
                    "include_name": lambda name, kind, _: not (kind == "table" and is_fulltext_table(name)),
                    "include_object": lambda _o, name, kind, *_: (
                        not (kind == "index" and name.startswith("ix_document_account_sort_"))
                    ),
                },
            ),
            SQLModel.metadata,
        )


def test_migrate_twice_changes_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert schema.migrate(store.engine) == (None, schema.head())
    assert schema.migrate(store.engine) == (schema.head(), schema.head())


def test_tables_that_are_not_ours_are_refused_not_stamped(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "inbox.db") as db:
        db.execute("CREATE TABLE account (id TEXT PRIMARY KEY)")
    store = open_store(tmp_path)
    with pytest.raises(schema.SchemaError, match="differ from the baseline"):
        schema.migrate(store.engine)
    assert schema.current(store.engine) is None


def test_a_schema_newer_than_the_code_is_refused_by_name(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    schema.migrate(store.engine)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")

    result = inbox_cli(tmp_path, "account", "list")

    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "9999_future" in result.stderr and "newer invoice-inbox" in result.stderr


def checkout(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "inbox", "storage", "web"], capture_output=True
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {commit} is not in this clone: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def rows(db_path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db_path) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not is_fulltext_table(name) and name != "alembic_version"
        ]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}  # noqa: S608


def test_a_data_dir_made_before_migrations_is_adopted_without_loss(tmp_path: Path) -> None:
    old_code = checkout(BEFORE_MIGRATIONS, tmp_path / "old")
    data = tmp_path / "data"
    old = Service(data_dir=data, cwd=old_code).start()
    try:
        account = old.create_account("Old GmbH", "old@old.example")
        assert (
            inbox_cli(data, "user", "add", account.email, "clerk@old.example", cwd=old_code).returncode == 0
        )
        assert inbox_cli(data, "token", "create", account.email, cwd=old_code).returncode == 0
        pdf = make_pdf(["INVOICE", "Invoice No. ZEBRA-4711", "Total: 119.00 EUR"])
        mail = make_mail(to=account.inbox_address, attachments=[("zebra.pdf", pdf, "application/pdf")])
        assert send(old, mail) == {}
        wait_for(lambda: rows(data / "inbox.db")["document"])
        wait_for(lambda: [m for m in rows(data / "inbox.db")["message"] if "processed" in m])
    finally:
        assert old.stop() == 0
    assert "Created a first account.\n" in old.startup_output  # the old code's words: it really ran
    before = rows(data / "inbox.db")

    migrated = inbox_cli(data, "migrate")

    assert migrated.returncode == 0, migrated.stderr
    assert f"from {schema.BASELINE} to {schema.head()}" in migrated.stdout
    after = rows(data / "inbox.db")
    assert set(before) <= set(after)
    assert all(not after[table] for table in set(after) - set(before))  # tables added later start empty
    for table, old_rows in before.items():
        width = len(old_rows[0]) if old_rows else 0
        assert sorted((r[:width] for r in after[table]), key=repr) == old_rows, table
    counts = {t: len(before[t]) for t in ("account", "user", "apitoken", "message", "document", "partlog")}
    # serve's first account, ours; its user, ours, the clerk; one mail of 5 parts, one a document
    assert counts == {"account": 2, "user": 3, "apitoken": 1, "message": 1, "document": 1, "partlog": 5}
    store = open_store(data)
    assert schema.current(store.engine) == schema.head()
    with store.session() as session:
        found, _ = search_documents(
            session=session, account_id=account.id, filters=DocumentFilter(query="zebra-4711")
        )
    assert [d.filename for d in found] == ["zebra.pdf"]
    # ...and the new code serves it: the old account logs in and sees its document.
    new = Service(data_dir=data).start()
    try:
        listed = new.client(account).get("/api/documents").json()["items"]
        assert [d["filename"] for d in listed] == ["zebra.pdf"]
    finally:
        new.stop()


def test_commands_started_together_on_a_fresh_data_dir_both_migrate_it_and_succeed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "inbox", "account", "create", f"A{n}", "--email", f"a{n}@a.example"]
            + ["--data-dir", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    results = [(c.wait(timeout=120), c.communicate()[1]) for c in commands]

    assert all(code == 0 for code, _ in results), results
    assert len(rows(data / "inbox.db")["account"]) == 3


def test_invoice_confidence_is_added_to_documents_recorded_before_it(tmp_path: Path) -> None:
    from alembic import command

    store = open_store(tmp_path)
    with store.engine.begin() as connection:
        command.upgrade(schema._config(connection), "0002_claims")
    account_id = "a1"
    with store.engine.begin() as connection:  # rows as the code before the revision wrote them
        connection.exec_driver_sql(  # (today's models have columns that 0002 lacks)
            "INSERT INTO account (id, name, inbox_local, active, allowed_senders, created_at)"
            " VALUES (?, 'Acme', 'acme-local', 1, '', '2026-01-01 00:00:00')",
            (account_id,),
        )
        connection.exec_driver_sql(
            "INSERT INTO message (id, account_id, raw_sha256, raw_size, envelope_from, envelope_to,"
            " received_at, status, reason, sender, subject, message_id, text_body, html_body, attempts)"
            " VALUES ('m1', ?, ?, 1, '', '', '2026-01-01 00:00:00', 'processed', '', 's@x', 'old', '',"
            " '', '', 1)",
            (account_id, "0" * 64),
        )
        connection.exec_driver_sql(
            "INSERT INTO document (id, account_id, message_id, part_path, sha256, filename,"
            " content_type, kind, size, encrypted, unreadable, reason, text, sender, subject,"
            " received_at, invoice_source, invoice_number, total)"
            " VALUES ('d1', ?, 'm1', '2', ?, 'old.pdf', 'application/pdf', 'pdf', 1, 0, 0, '', '',"
            " 's@x', 'old', '2026-01-01 00:00:00', 'text', 'OLD-1', '9.50')",
            (account_id, "1" * 64),
        )

    assert schema.migrate(store.engine) == ("0002_claims", schema.head())

    with store.session() as session:
        (doc,), _ = search_documents(session=session, account_id=account_id, filters=DocumentFilter())
    assert doc.invoice is not None
    assert (doc.invoice.number, str(doc.invoice.total), doc.invoice.confidence) == ("OLD-1", "9.50", {})


def test_documents_read_before_the_to_check_column_are_marked_by_their_confidences(tmp_path: Path) -> None:
    from alembic import command

    store = open_store(tmp_path)
    with store.engine.begin() as connection:
        command.upgrade(schema._config(connection), "0013_logins")
    with store.engine.begin() as connection:  # rows as the code before the revision wrote them
        connection.exec_driver_sql(
            "INSERT INTO account (id, name, inbox_local, active, allowed_senders, created_at)"
            " VALUES ('a1', 'Acme', 'acme-local', 1, '', '2026-01-01 00:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO message (id, account_id, raw_sha256, raw_size, envelope_from, envelope_to,"
            " received_at, status, reason, sender, subject, message_id, text_body, html_body, attempts)"
            " VALUES ('m1', 'a1', ?, 1, '', '', '2026-01-01 00:00:00', 'processed', '', 's@x', 'old', '',"
            " '', '', 1)",
            ("0" * 64,),
        )
        for doc_id, confidence, corrected in (
            ("unsure", '{"number": 0.4}', None),
            ("sure", '{"number": 0.9}', None),
            ("corrected", '{"number": 0.4}', '["number"]'),
        ):
            connection.exec_driver_sql(
                "INSERT INTO document (id, account_id, message_id, part_path, sha256, filename,"
                " content_type, kind, size, encrypted, unreadable, reason, text, note, sender, subject,"
                " received_at, invoice_source, invoice_number, invoice_confidence, corrected_fields)"
                " VALUES (?, 'a1', 'm1', ?, ?, 'old.pdf', 'application/pdf', 'pdf', 1, 0, 0, '', '', '',"
                " 's@x', 'old', '2026-01-01 00:00:00', 'text', 'OLD-1', ?, ?)",
                (doc_id, doc_id, doc_id.ljust(64, "0"), confidence, corrected),
            )

    assert schema.migrate(store.engine) == ("0013_logins", schema.head())

    with store.session() as session:
        found, _ = search_documents(session=session, account_id="a1", filters=DocumentFilter(flag="check"))
    assert [doc.id for doc in found] == ["unsure"]
