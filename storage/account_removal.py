"""`inbox account delete`: every row of an account, then every blob no other account uses."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import CursorResult, Table
from sqlmodel import SQLModel, select

from storage.blob_references import drop_orphan_thumbnails, unreferenced
from storage.db import Store
from storage.errors import NotFound
from storage.models import Account, Document, Message


def delete_account(store: Store, account_id: str) -> tuple[int, int]:
    """Removes the account and everything that belongs to it; returns (rows, blobs) removed.

    Tables are found from the schema (an `account_id` column, or a foreign key to a row that
    has one), so a table added later is covered without a change here. Blobs go after the
    commit: a failed commit loses no file, a failed blob deletion leaves only an orphan.
    """
    with store.session() as session:
        if session.get(Account, account_id) is None:
            raise NotFound(f"no account {account_id}")
        blobs = set(session.exec(select(Message.raw_sha256).where(Message.account_id == account_id)))
        files = set(session.exec(select(Document.sha256).where(Document.account_id == account_id)))
        rows = 0
        for table in reversed(SQLModel.metadata.sorted_tables):  # children before parents
            condition = _owned_by(table, account_id)
            if condition is not None:
                result: CursorResult = session.execute(sa.delete(table).where(condition))  # type: ignore[assignment]
                rows += result.rowcount
        images = drop_orphan_thumbnails(session, files)
        gone = unreferenced(session, blobs | files | set(images))
    for sha256 in gone:
        store.blobs.delete(sha256)
    return rows, len(gone)


def _owned_by(table: Table, account_id: str):
    """The WHERE clause selecting the account's rows of `table`, or None if it has none."""
    if table.name == "account":
        return table.c.id == account_id
    if "account_id" in table.c:
        return table.c.account_id == account_id
    for key in table.foreign_keys:  # e.g. a part log row through its message
        parent = key.column.table
        if "account_id" in parent.c:
            return key.parent.in_(sa.select(key.column).where(parent.c.account_id == account_id))
    return None
