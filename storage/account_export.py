"""`inbox account export`: an account's raw mails, documents and metadata as one ZIP.

Written as it is read, a blob at a time in chunks and the metadata a row at a time, so a large
account never sits in memory. Names inside the ZIP are generated (ids), never taken from a
mail: a file name like `../../etc/passwd` stays a value in the JSON.

    account.json                  the account, its users (no password hashes) and plan
    messages.json                 every message with its part log; "raw" names its .eml
    messages/<message id>.eml     the raw mail as received (with our trace in front)
    documents.json                every document (trash included) with invoice fields, tags,
                                  note and history; "file" names its file
    documents/<document id>.<ext>
    suppliers.json
"""

from __future__ import annotations

import json
import mimetypes
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any

from sqlmodel import SQLModel, col, select

from storage.blobs import CHUNK, BlobNotFound
from storage.db import Store
from storage.errors import NotFound
from storage.models import Account, Document, DocumentChange, DocumentTag, Message, PartLog, Supplier, User

BATCH = 200  # rows read a query
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
# Columns that are credentials or the worker's bookkeeping, not the account's data.
_LEFT_OUT = {"password_hash", "claimed_by", "claimed_until", "attempts"}


def export_account(store: Store, account_id: str, out: IO[bytes]) -> dict[str, int]:
    """Writes the account's ZIP to `out`; returns how many messages, documents and suppliers."""
    counts = {"messages": 0, "documents": 0, "suppliers": 0}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with store.session() as session:
            account = session.get(Account, account_id)
            if account is None:
                raise NotFound(f"no account {account_id}")
            users = session.exec(select(User).where(User.account_id == account_id).order_by(col(User.email)))
            _write_json(archive, "account.json", {**_row(account), "users": [_row(u) for u in users]})
        with _json_list(archive, "messages.json") as add:
            for message in _rows(store, Message, account_id):
                add(_message(store, archive, message))
                counts["messages"] += 1
        with _json_list(archive, "documents.json") as add:
            for document in _rows(store, Document, account_id):
                add(_document(store, archive, document))
                counts["documents"] += 1
        with _json_list(archive, "suppliers.json") as add:
            for supplier in _rows(store, Supplier, account_id):
                add(_row(supplier))
                counts["suppliers"] += 1
    return counts


def _message(store: Store, archive: zipfile.ZipFile, message: Message) -> dict[str, Any]:
    with store.session() as session:
        parts = session.exec(
            select(PartLog).where(PartLog.message_id == message.id).order_by(col(PartLog.position))
        )
        record = {**_row(message), "parts": [_row(p) for p in parts]}
    if message.raw_removed_at is not None:
        return {**record, "raw": None}
    return {**record, **_copy_blob(store, archive, message.raw_sha256, f"messages/{message.id}.eml", "raw")}


def _document(store: Store, archive: zipfile.ZipFile, document: Document) -> dict[str, Any]:
    with store.session() as session:
        tags = session.exec(select(DocumentTag.tag).where(DocumentTag.document_id == document.id))
        history = session.exec(
            select(DocumentChange)
            .where(DocumentChange.document_id == document.id)
            .order_by(col(DocumentChange.at), col(DocumentChange.id))
        )
        record = {**_row(document), "tags": sorted(tags), "history": [_row(h) for h in history]}
    name = f"documents/{document.id}{_suffix(document.filename, document.content_type)}"
    return {**record, **_copy_blob(store, archive, document.sha256, name, "file")}


def _copy_blob(store: Store, archive: zipfile.ZipFile, sha256: str, name: str, key: str) -> dict[str, Any]:
    """Copies the blob into the ZIP in chunks; {key: name}, or {key: None} and why."""
    try:
        chunks = store.blobs.stream(sha256)  # a missing blob raises here, before the entry exists
    except BlobNotFound:
        return {key: None, f"{key}_error": "missing from the blob store"}
    with archive.open(name, "w", force_zip64=True) as entry:
        for chunk in chunks:
            entry.write(chunk)
    return {key: name}


def _suffix(filename: str, content_type: str) -> str:
    """The file name's extension when it is a plain one, else one for its type."""
    dot = filename.rfind(".")
    suffix = filename[dot:] if dot > 0 else ""
    if _SAFE_SUFFIX.fullmatch(suffix):
        return suffix.lower()
    return mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"


def _rows(store: Store, table: type[Any], account_id: str) -> Iterator[Any]:
    """The account's rows of `table` by id, a batch a transaction."""
    after = ""
    while True:
        with store.session() as session:
            batch = list(
                session.exec(
                    select(table)
                    .where(table.account_id == account_id, col(table.id) > after)
                    .order_by(col(table.id))
                    .limit(BATCH)
                )
            )
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].id


def _row(row: SQLModel) -> dict[str, Any]:
    return {name: _plain(value) for name, value in row.model_dump().items() if name not in _LEFT_OUT}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _write_json(archive: zipfile.ZipFile, name: str, value: Any) -> None:
    archive.writestr(name, json.dumps(value, indent=2, ensure_ascii=False))


@contextmanager
def _json_list(archive: zipfile.ZipFile, name: str) -> Iterator[Callable[[Any], None]]:
    """A JSON array built one item at a time in a temp file (a ZIP takes one entry at a time,
    and the blobs go in meanwhile), then copied into the ZIP."""
    with tempfile.TemporaryFile() as items:
        items.write(b"[")
        separator = b"\n"

        def add(item: Any) -> None:
            nonlocal separator
            items.write(separator + json.dumps(item, ensure_ascii=False).encode())
            separator = b",\n"

        yield add
        items.write(b"\n]\n")
        items.seek(0)
        with archive.open(name, "w", force_zip64=True) as entry:
            shutil.copyfileobj(items, entry, CHUNK)
