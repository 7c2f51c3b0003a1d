"""The `inbox` command: serve, migrate, accounts and users, reprocessing, sending a test invoice."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from inbox.config import ConfigError, Settings
from inbox.evaluate import add_parser as add_evaluate_parser
from storage import schema
from storage.accounts import add_user, create_account, find_account, list_accounts
from storage.blobs import BlobConfigError
from storage.claims import new_worker_id
from storage.db import Store, open_store
from storage.errors import Ambiguous, Conflict, NotFound
from storage.messages import claim_for_reprocessing, release_own_claims
from storage.tokens import create_token
from vocabulary import Role

SETTING_FLAGS = {  # flag -> Settings field; each also reads INBOX_<FIELD>
    "--data-dir": "data_dir",
    "--database-url": "database_url",
    "--blob-url": "blob_url",
    "--host": "host",
    "--smtp-port": "smtp_port",
    "--web-port": "web_port",
    "--mail-domain": "mail_domain",
    "--max-message-bytes": "max_message_bytes",
    "--workers": "workers",
}


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per check; `migrate` says what it did
    try:
        settings = Settings.from_env(
            **{field: getattr(args, field, None) for field in SETTING_FLAGS.values()}
        )
        return args.run(args, settings) or 0
    except (ConfigError, BlobConfigError, CommandError) as err:
        print(f"inbox: error: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox", description="invoice-inbox: every invoice mailed in becomes a document."
    )
    settings = argparse.ArgumentParser(add_help=False)
    for flag, field in SETTING_FLAGS.items():
        settings.add_argument(flag, dest=field, default=None, help=f"(env INBOX_{field.upper()})")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(group, name: str, run, help: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help, description=help, parents=[settings])
        sub.set_defaults(run=run)
        return sub

    def group(name: str, help: str):
        return commands.add_parser(name, help=help).add_subparsers(required=True, metavar="ACTION")

    command(commands, "serve", _serve, "run SMTP, the worker and the web in one process")
    command(commands, "migrate", _migrate, "bring the database schema up to date")

    accounts = group("account", "manage accounts")
    create = command(accounts, "create", _account_create, "create an account and its first user")
    create.add_argument("name")
    create.add_argument("--email", required=True)
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--json", action="store_true")
    listing = command(accounts, "list", _account_list, "list accounts with their inbox addresses")
    listing.add_argument("--json", action="store_true")

    add = command(group("user", "manage users"), "add", _user_add, "add a user to an account")
    add.add_argument("account", help="account id, name or a user's e-mail")
    add.add_argument("email")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.OWNER.value)
    add.add_argument("--password-stdin", action="store_true")
    add.add_argument("--json", action="store_true")

    token = command(group("token", "API tokens"), "create", _token_create, "a bearer token for the JSON API")
    token.add_argument("account", help="account id, name or a user's e-mail")
    token.add_argument("--name", default="automation", help="what the token is for")

    reprocess = command(commands, "reprocess", _reprocess, "process a received mail again (idempotent)")
    reprocess.add_argument("message_id")

    add_evaluate_parser(commands).set_defaults(run=_evaluate)

    send = command(commands, "send-test", _send_test, "send a realistic invoice mail over SMTP")
    send.add_argument("--to", required=True, help="an inbox address")
    send.add_argument("--from", dest="sender", default="Acme Supplies Ltd <billing@acme-supplies.example>")
    send.add_argument("--attach", type=Path, help="attach this file instead of the generated invoice PDF")
    return parser


def _serve(args, settings: Settings) -> int:
    from inbox.serve import PortTaken, bind_listeners, serve

    try:
        listeners = bind_listeners(settings)  # first: a taken port must not leave anything behind
    except PortTaken as err:
        raise CommandError(str(err)) from err
    try:
        _ensure_first_account(settings)
    except CommandError:
        listeners.close()
        raise
    asyncio.run(serve(settings, listeners, ready=lambda line: print(line, flush=True)))
    return 0


def _migrate(args, settings: Settings) -> int:
    store = open_store(settings.data_dir, settings.database_url)
    try:
        before, after = schema.migrate(store.engine)
    except schema.SchemaError as err:
        raise CommandError(str(err)) from err
    finally:
        store.engine.dispose()
    print(f"schema at {after}" if before == after else f"schema migrated from {before or 'empty'} to {after}")
    return 0


def _ensure_first_account(settings: Settings) -> None:
    """A fresh data directory gets one account, so `make run` leads straight to a login."""

    store = _open_store(settings)
    with store.session() as session:
        existing = list_accounts(session=session)
        if not existing:
            password = secrets.token_urlsafe(12)
            account = create_account(
                session=session, name="My company", email="owner@example.com", password=password
            )
            note = settings.data_dir / "first-account.txt"
            text = (
                f"Log in at http://{settings.host}:{settings.web_port}/ as owner@example.com "
                f"with password {password}\nInbox address: {settings.inbox_address(account.inbox_local)}\n"
            )
            note.write_text(text)
            note.chmod(0o600)
            # The password and the inbox address are credentials: they go to the file, not the log.
            print(f"Created a first account ({account.id}); log-in and inbox address in {note}", flush=True)
        for account, _users in existing:
            print(f"account {account.id} ({account.name}): `inbox account list` shows its inbox", flush=True)
    store.engine.dispose()


def _read_password(args) -> tuple[str, bool]:
    """The password from stdin, or a generated one (second value True)."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            raise CommandError("password from stdin must have at least 8 characters")
        return password, False
    return secrets.token_urlsafe(12), True


def _account_create(args, settings: Settings) -> int:

    if "@" not in args.email:
        raise CommandError(f"--email {args.email!r} is not an e-mail address")
    password, generated = _read_password(args)
    store = _open_store(settings)
    try:
        with store.session() as session:
            account = create_account(session=session, name=args.name, email=args.email, password=password)
    except Conflict as err:
        raise CommandError(str(err)) from err
    result = {
        "id": account.id,
        "name": account.name,
        "email": args.email.strip().lower(),
        "inbox_address": settings.inbox_address(account.inbox_local),
    }
    if generated:
        result["password"] = password
    _print(result, args.json)
    return 0


def _account_list(args, settings: Settings) -> int:

    store = _open_store(settings)
    with store.session() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": account.id,
                "name": account.name,
                "inbox_address": settings.inbox_address(account.inbox_local),
                "active": account.active,
                "users": [user.email for user in users],
            }
            for account, users in list_accounts(session=session)
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['id']}  {row['name']}  {row['inbox_address']}  users: {', '.join(row['users'])}")
    return 0


def _user_add(args, settings: Settings) -> int:

    password, generated = _read_password(args)
    store = _open_store(settings)
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
            user = add_user(
                session=session,
                account_id=account.id,
                email=args.email,
                password=password,
                role=Role(args.role),
            )
    except (Ambiguous, Conflict, NotFound) as err:
        raise CommandError(str(err)) from err
    result = {"id": user.id, "account_id": account.id, "email": user.email}
    if generated:
        result["password"] = password
    _print(result, args.json)
    return 0


def _token_create(args, settings: Settings) -> int:

    store = _open_store(settings)
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
            secret = create_token(session=session, account_id=account.id, name=args.name)
    except (Ambiguous, NotFound) as err:
        raise CommandError(str(err)) from err
    print(secret)
    return 0


def _reprocess(args, settings: Settings) -> int:
    from inbox import pipeline
    from inbox.sandbox import ExtractionPool

    store = _open_store(settings)
    worker = new_worker_id()
    try:
        with store.session() as session:
            message = claim_for_reprocessing(
                session=session,
                message_id=args.message_id,
                worker=worker,
                lease=timedelta(seconds=settings.parse_timeout * 2 + 30),
            )
    except (NotFound, Conflict) as err:
        raise CommandError(str(err)) from err

    async def run() -> str:
        pool = ExtractionPool(
            blobs=store.blobs,
            size=1,
            timeout=settings.parse_timeout,
            memory_mb=settings.parse_memory_mb,
        )
        try:
            return await pipeline.process(store, pool, message)
        finally:
            pool.close()
            with store.session() as session:  # only if processing ended without recording
                release_own_claims(session=session, worker=worker)

    print(f"{message.id}: {asyncio.run(run())}")
    return 0


def _evaluate(args, settings: Settings) -> int:
    if not args.directory.is_dir():
        raise CommandError(f"{args.directory}: not a directory")
    if not args.expected.is_file():
        raise CommandError(f"--expected {args.expected}: no such file")
    return args.handler(args)


def _send_test(args, settings: Settings) -> int:
    from inbox.sendtest import SendError, build_test_invoice, send

    if args.attach is not None and not args.attach.is_file():
        raise CommandError(f"--attach {args.attach}: no such file")
    mail = build_test_invoice(to=args.to, sender=args.sender, attach=args.attach)
    try:
        reply = send(mail, host=settings.host, port=settings.smtp_port)
    except (SendError, OSError) as err:
        raise CommandError(f"sending to {settings.host}:{settings.smtp_port} failed: {err}") from err
    print(reply)
    return 0


def _open_store(settings: Settings) -> Store:
    """The store with its schema current: the embedded default migrates itself; another
    database is migrated by its operator, on purpose, with `inbox migrate`."""
    store = open_store(settings.data_dir, settings.database_url, settings.blob_url)
    try:
        if settings.database_url is None:
            schema.migrate(store.engine)
        elif not schema.is_current(store.engine):
            found = schema.current(store.engine) or "no schema"
            raise CommandError(
                f"the database at --database-url / INBOX_DATABASE_URL is at {found}, this version "
                f"needs {schema.head()}: run `inbox migrate` first"
            )
    except schema.SchemaError as err:
        store.engine.dispose()
        raise CommandError(str(err)) from err
    except CommandError:
        store.engine.dispose()
        raise
    return store


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
