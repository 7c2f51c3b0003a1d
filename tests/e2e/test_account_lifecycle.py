"""Data lifecycle over the real CLI and real SMTP: an account's export, its deletion, and the
retention of raw mails (DESIGN.md, "Operations")."""

from __future__ import annotations

import json
import smtplib
import zipfile
from datetime import timedelta
from email.policy import SMTP
from hashlib import sha256
from pathlib import Path

from sqlmodel import SQLModel, func, select

from inbox.recipientcache import TTL_SECONDS
from storage.models import Document, Message, utcnow
from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.received import split_trace
from tests.service import Service, inbox_cli, wait_for
from vocabulary import MessageStatus


def send(service: Service, recipients: list[str], raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:
        client.sendmail("billing@supplier.example", recipients, raw)


def processed(backend: Backend, count: int) -> list[Message]:
    """Waits until `count` messages are processed; returns them."""

    def done() -> list[Message] | None:
        store = backend.open_store()
        try:
            with store.session() as session:
                rows = list(session.exec(select(Message).where(Message.status != MessageStatus.RECEIVED)))
        finally:
            store.engine.dispose()
        return rows if len(rows) >= count else None

    return wait_for(done, timeout=60)


def rows_of(backend: Backend, account_id: str) -> dict[str, int]:
    """How many rows every table with an account_id column holds for the account."""
    store = backend.open_store()
    try:
        with store.session() as session:
            return {
                table.name: session.execute(
                    select(func.count()).select_from(table).where(table.c.account_id == account_id)
                ).scalar_one()
                for table in SQLModel.metadata.sorted_tables
                if "account_id" in table.c
            }
    finally:
        store.engine.dispose()


def test_export_holds_what_was_sent_and_delete_leaves_other_accounts_whole(
    service: Service, backend: Backend, tmp_path: Path
):
    acme = service.create_account("Acme", "owner@acme.example")
    other = service.create_account("Other", "owner@other.example")
    shared_pdf = make_pdf(["Invoice SHARED-1", "Total 10.00 EUR"])
    own_pdf = make_pdf(["Invoice OWN-2", "Total 20.00 EUR"])
    # The same mail to both accounts: one raw blob and one document file, both shared.
    shared = make_mail(
        to=acme.inbox_address, attachments=[("shared.pdf", shared_pdf, "application/pdf")]
    ).as_bytes(policy=SMTP)
    # A file name from a mail is a value, never a path inside the export.
    own = make_mail(
        to=acme.inbox_address,
        subject="Invoice OWN-2",
        attachments=[("../../etc/passwd.pdf", own_pdf, "application/pdf")],
    ).as_bytes(policy=SMTP)
    send(service, [acme.inbox_address, other.inbox_address], shared)
    send(service, [acme.inbox_address], own)
    processed(backend, 3)

    export = tmp_path / "acme.zip"
    result = inbox_cli(
        service.data_dir, "account", "export", acme.id, "--output", str(export), env=backend.env
    )
    assert result.returncode == 0, result.stderr

    with zipfile.ZipFile(export) as archive:
        names = archive.namelist()
        assert all(not n.startswith("/") and ".." not in n for n in names)
        account = json.loads(archive.read("account.json"))
        messages = json.loads(archive.read("messages.json"))
        documents = json.loads(archive.read("documents.json"))
        assert account["id"] == acme.id and [u["email"] for u in account["users"]] == [acme.email]
        assert "password_hash" not in json.dumps(account)
        assert sorted(split_trace(archive.read(m["raw"]))[1] for m in messages) == sorted([shared, own])
        assert all(m["parts"] and m["envelope_to"] == acme.inbox_address for m in messages)
        by_name = {d["filename"].rpartition("/")[2]: d for d in documents}
        assert sorted(by_name) == ["passwd.pdf", "shared.pdf"]
        assert archive.read(by_name["shared.pdf"]["file"]) == shared_pdf
        assert archive.read(by_name["passwd.pdf"]["file"]) == own_pdf
        assert by_name["passwd.pdf"]["file"] == f"documents/{by_name['passwd.pdf']['id']}.pdf"
        assert {"tags", "history", "note", "invoice_number"} <= set(by_name["shared.pdf"])
        assert json.loads(archive.read("suppliers.json")) is not None

    store = backend.open_store()
    with store.session() as session:
        own_sha = session.exec(select(Message.raw_sha256).where(Message.subject == "Invoice OWN-2")).one()
        shared_sha = session.exec(select(Message.raw_sha256).where(Message.account_id == other.id)).one()
    store.engine.dispose()
    before = set(backend.stored_blobs())
    assert {own_sha, shared_sha} <= before

    refused = inbox_cli(service.data_dir, "account", "delete", acme.id, env=backend.env)
    assert refused.returncode == 2 and "--yes" in refused.stderr and acme.id in refused.stderr
    assert rows_of(backend, acme.id)["message"] == 2  # nothing happened without --yes

    deleted = inbox_cli(service.data_dir, "account", "delete", acme.id, "--yes", env=backend.env)
    assert deleted.returncode == 0, deleted.stderr

    assert set(rows_of(backend, acme.id).values()) == {0}
    after = set(backend.stored_blobs())
    assert own_sha not in after and sha256(own_pdf).hexdigest() not in after
    assert {shared_sha, sha256(shared_pdf).hexdigest()} <= after  # the other account's stay
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:  # the running service
        client.ehlo()
        client.mail("billing@supplier.example")
        # A running SMTP side keeps active inboxes for up to TTL_SECONDS (1 s).
        code, reply = wait_for(
            lambda: (answer := client.rcpt(acme.inbox_address))[0] == 550 and answer,
            timeout=TTL_SECONDS + 2,
            interval=0.05,
        )
        assert (code, reply[:5]) == (550, b"5.1.1")
        assert client.rcpt(other.inbox_address)[0] == 250

    # The other account's export is whole: its mail and its document, byte for byte.
    kept = tmp_path / "other.zip"
    result = inbox_cli(
        service.data_dir, "account", "export", other.id, "--output", str(kept), env=backend.env
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(kept) as archive:
        [message] = json.loads(archive.read("messages.json"))
        [document] = json.loads(archive.read("documents.json"))
        assert split_trace(archive.read(message["raw"]))[1] == shared
        assert archive.read(document["file"]) == shared_pdf


def test_unknown_account_and_missing_directory_are_named(backend: Backend, tmp_path: Path):
    missing = inbox_cli(
        backend.data_dir, "account", "delete", "nobody@nowhere.example", "--yes", env=backend.env
    )
    assert missing.returncode == 2 and "nobody@nowhere.example" in missing.stderr
    nowhere = tmp_path / "no" / "such" / "dir.zip"
    result = inbox_cli(backend.data_dir, "account", "export", "x", "--output", str(nowhere), env=backend.env)
    assert result.returncode == 2 and "--output" in result.stderr


def test_raw_mails_older_than_the_retention_go_and_their_messages_stay(backend: Backend, tmp_path: Path):
    env = {**backend.env, "INBOX_RAW_RETENTION_DAYS": "30"}
    service = Service(data_dir=backend.data_dir, env=env).start()
    try:
        acme = service.create_account("Acme", "owner@acme.example")
        pdf = make_pdf(["Invoice OLD-1", "Total 10.00 EUR"])
        old = make_mail(
            to=acme.inbox_address, subject="old", attachments=[("old.pdf", pdf, "application/pdf")]
        )
        send(service, [acme.inbox_address], old.as_bytes(policy=SMTP))
        send(
            service,
            [acme.inbox_address],
            make_mail(to=acme.inbox_address, subject="new").as_bytes(policy=SMTP),
        )
        messages = {m.subject: m for m in processed(backend, 2)}
        backend.execute(
            "UPDATE message SET received_at = :when WHERE id = :id",
            when=(utcnow() - timedelta(days=31)).replace(tzinfo=None),
            id=messages["old"].id,
        )
        service.stop()
        service.start()  # housekeeping runs at start, then hourly

        def removed() -> Message | None:
            store = backend.open_store()
            try:
                with store.session() as session:
                    row = session.get(Message, messages["old"].id)
                    return row if row is not None and row.raw_removed_at is not None else None
            finally:
                store.engine.dispose()

        kept = wait_for(removed, timeout=30)
        assert kept.status == MessageStatus.PROCESSED and kept.subject == "old"  # the row stays
        blobs = set(backend.stored_blobs())
        assert messages["old"].raw_sha256 not in blobs
        assert messages["new"].raw_sha256 in blobs  # within the retention
        store = backend.open_store()
        with store.session() as session:
            [document] = session.exec(select(Document).where(Document.message_id == messages["old"].id))
        store.engine.dispose()
        assert document.sha256 in blobs  # the document stays

        browser = service.client(acme)
        page = browser.get(f"/messages/{messages['old'].id}")
        assert (
            page.status_code == 200 and 'id="raw-removed"' in page.text and "Process again" not in page.text
        )
        assert 'id="download-eml"' not in page.text
        assert browser.get(f"/messages/{messages['old'].id}/raw").status_code == 404
        assert browser.get(f"/messages/{messages['new'].id}/raw").status_code == 200
        token = inbox_cli(service.data_dir, "token", "create", acme.id, env=env).stdout.strip()
        api = service.client().get(
            f"/api/v1/messages/{messages['old'].id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 200 and api.json()["raw_removed_at"]
        again = inbox_cli(service.data_dir, "reprocess", messages["old"].id, env=env)
        assert again.returncode == 2 and "retention" in again.stderr
    finally:
        service.stop()


def test_a_retention_below_one_day_is_refused_by_name(tmp_path: Path):
    result = inbox_cli(tmp_path / "data", "account", "list", env={"INBOX_RAW_RETENTION_DAYS": "0"})
    assert result.returncode == 2 and "INBOX_RAW_RETENTION_DAYS" in result.stderr
