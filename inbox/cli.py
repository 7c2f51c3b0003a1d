"""The `inbox` command: serve, migrate, accounts and users, reprocessing, sending a test invoice."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import secrets
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from inbox.config import ConfigError, Settings
from inbox.evaluate import add_parser as add_evaluate_parser
from inbox.logformat import configure_logging
from inbox.stores import open_configured_store
from storage import schema
from storage.accounts import (
    add_user,
    create_account,
    find_account,
    list_accounts,
    set_password_by_email,
    set_refuse_dmarc_failures,
)
from storage.blobs import BlobConfigError
from storage.claims import new_worker_id
from storage.db import Store
from storage.errors import Ambiguous, Conflict, NotFound
from storage.messages import claim_for_reprocessing, release_own_claims
from storage.tokens import SCOPES, create_token, list_tokens, revoke_token
from storage.usage import Plan, set_plan
from vocabulary import Role

# Every setting is a flag (--max-message-bytes) and reads INBOX_<FIELD> when the flag is not given.
SETTING_FLAGS = {"--" + f.name.replace("_", "-"): f.name for f in fields(Settings)}
FLAG_HELP = {"roles": "comma-separated roles of `inbox serve`: smtp, worker, web (default all)"}


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(
            **{field: getattr(args, field, None) for field in SETTING_FLAGS.values()}
        )
        configure_logging(settings.log_format)
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
        env = f"(env INBOX_{field.upper()})"
        settings.add_argument(
            flag, dest=field, default=None, help=f"{FLAG_HELP[field]} {env}" if field in FLAG_HELP else env
        )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(group, name: str, run, help: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help, description=help, parents=[settings])
        sub.set_defaults(run=run)
        return sub

    def group(name: str, help: str):
        return commands.add_parser(name, help=help).add_subparsers(required=True, metavar="ACTION")

    command(commands, "serve", _serve, "run SMTP, the worker and the web (or some of them)")
    command(commands, "migrate", _migrate, "bring the database schema up to date")

    accounts = group("account", "manage accounts")
    create = command(accounts, "create", _account_create, "create an account and its first user")
    create.add_argument("name")
    create.add_argument("--email", required=True)
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--json", action="store_true")
    listing = command(accounts, "list", _account_list, "list accounts with their inbox addresses")
    listing.add_argument("--json", action="store_true")
    dmarc = command(
        accounts, "dmarc", _account_dmarc, "refuse (on) or take (off) mail that fails its sender's DMARC"
    )
    dmarc.add_argument("account", help="account id, name or a user's e-mail")
    dmarc.add_argument("refuse", choices=["on", "off"])
    export = command(
        accounts, "export", _account_export, "write the account's mails, documents and metadata to a ZIP"
    )
    export.add_argument("account", help="account id, name or a user's e-mail")
    export.add_argument("--output", required=True, type=Path, help="the ZIP file to write")
    remove = command(
        accounts, "delete", _account_delete, "delete the account, its data and the files only it used"
    )
    remove.add_argument("account", help="account id, name or a user's e-mail")
    remove.add_argument("--yes", action="store_true", help="confirm: there is no undo")

    users = group("user", "manage users")
    add = command(users, "add", _user_add, "add a user to an account")
    add.add_argument("account", help="account id, name or a user's e-mail")
    add.add_argument("email")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.OWNER.value)
    add.add_argument("--password-stdin", action="store_true")
    add.add_argument("--json", action="store_true")
    passwd = command(users, "passwd", _user_passwd, "set a user's password; their sessions end")
    passwd.add_argument("email")
    passwd.add_argument("--password-stdin", action="store_true", help="read it from standard input")
    passwd.add_argument("--json", action="store_true")

    tokens = group("token", "API tokens (an automation platform's connection)")
    token = command(tokens, "create", _token_create, "a bearer token for the JSON API, shown once")
    token.add_argument("account", help="account id, name or a user's e-mail")
    token.add_argument("--name", default="automation", help="what the token is for")
    token.add_argument(
        "--scope",
        action="append",
        default=[],
        choices=SCOPES,
        help="what the token may do (repeat; none given: all)",
    )
    token.add_argument("--json", action="store_true")
    token_list = command(tokens, "list", _token_list, "the account's live tokens and their last use")
    token_list.add_argument("account", help="account id, name or a user's e-mail")
    token_list.add_argument("--json", action="store_true")
    revoke = command(tokens, "revoke", _token_revoke, "revoke a token: refused from its next request on")
    revoke.add_argument("token_id")

    plan = command(accounts, "set-plan", _account_set_plan, "set the account's quotas (unset: unlimited)")
    plan.add_argument("account", help="account id, name or a user's e-mail")
    plan.add_argument(
        "--documents-per-month", type=_limit, help="documents a calendar month (mail and uploads)"
    )
    plan.add_argument("--storage-mb", type=_limit, help="megabytes of stored documents")
    plan.add_argument("--suppliers", type=_limit, help="number of suppliers")

    reprocess = command(commands, "reprocess", _reprocess, "process a received mail again (idempotent)")
    reprocess.add_argument("message_id")

    add_evaluate_parser(commands).set_defaults(run=_evaluate)

    send = command(commands, "send-test", _send_test, "send a realistic invoice mail over SMTP")
    send.add_argument("--to", required=True, help="an inbox address")
    send.add_argument("--from", dest="sender", default="Acme Supplies Ltd <billing@acme-supplies.example>")
    send.add_argument("--attach", type=Path, help="attach this file instead of the generated invoice PDF")
    return parser


def _serve(args, settings: Settings) -> int:
    import uvloop

    from inbox.serve import PortTaken, bind_listeners, serve
    from inbox.tls import Certificates

    if settings.tls_cert and settings.tls_key:
        Certificates(settings.tls_cert, settings.tls_key)  # unreadable ones name their setting, exit 2
    try:
        listeners = bind_listeners(settings)  # first: a taken port must not leave anything behind
    except PortTaken as err:
        raise CommandError(str(err)) from err
    try:
        if settings.database_url is None:  # a convenience of the embedded default only
            _ensure_first_account(settings)
        else:
            _open_store(settings).engine.dispose()  # refuses a schema that is behind, by name
    except CommandError:
        listeners.close()
        raise
    # uvloop: the SMTP side's loop and thread hand-offs were a sixth of a mail's CPU (README,
    # Performance). The worker process keeps asyncio's loop: its extraction pool lost processes
    # under uvloop.
    uvloop.run(serve(settings, listeners, ready=lambda line: print(line, flush=True)))
    return 0


def _migrate(args, settings: Settings) -> int:
    store = open_configured_store(settings)
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


def _account_dmarc(args, settings: Settings) -> int:
    store = _open_store(settings)
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
            set_refuse_dmarc_failures(session=session, account_id=account.id, refuse=args.refuse == "on")
    except (Ambiguous, NotFound) as err:
        raise CommandError(str(err)) from err
    print(f"{account.id}: mail failing DMARC is {'refused' if args.refuse == 'on' else 'taken'}")
    return 0


def _account_export(args, settings: Settings) -> int:
    from storage.account_export import export_account

    if not args.output.parent.is_dir():
        raise CommandError(f"--output {args.output}: directory {args.output.parent} does not exist")
    store = _open_store(settings)
    partial = args.output.with_name(args.output.name + ".partial")  # never a half ZIP under the name
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
        with partial.open("wb") as out:
            counts = export_account(store, account.id, out)
        partial.replace(args.output)
    except (Ambiguous, NotFound) as err:
        raise CommandError(str(err)) from err
    finally:
        partial.unlink(missing_ok=True)
        store.engine.dispose()
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    print(f"{account.id}: exported {summary} to {args.output}")
    return 0


def _account_delete(args, settings: Settings) -> int:
    from storage.account_removal import delete_account

    store = _open_store(settings)
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
        if not args.yes:
            raise CommandError(
                f"deleting account {account.id} ({account.name}) removes all its mails and documents "
                "for good; add --yes to confirm"
            )
        rows, blobs = delete_account(store, account.id)
    except (Ambiguous, NotFound) as err:
        raise CommandError(str(err)) from err
    finally:
        store.engine.dispose()
    print(f"deleted account {account.id} ({account.name}): {rows} rows, {blobs} files")
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


def _user_passwd(args, settings: Settings) -> int:
    password, generated = _read_password(args)
    store = _open_store(settings)
    try:
        with store.session() as session:
            user_id = set_password_by_email(session=session, email=args.email, password=password)
    except NotFound as err:
        raise CommandError(f"no user with e-mail {args.email!r}") from err
    result = {"id": user_id, "email": args.email.strip().lower()}
    if generated:
        result["password"] = password
    _print(result, args.json)
    return 0


def _token_create(args, settings: Settings) -> int:
    store = _open_store(settings)
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
            token, secret = create_token(
                session=session, account_id=account.id, name=args.name, scopes=args.scope
            )
    except (Ambiguous, NotFound) as err:
        raise CommandError(str(err)) from err
    if args.json:
        print(json.dumps({"id": token.id, "name": token.name, "scopes": list(token.scopes), "token": secret}))
    else:
        print(secret)  # alone on its line, for scripts: `TOKEN=$(inbox token create ...)`
    return 0


def _token_list(args, settings: Settings) -> int:
    store = _open_store(settings)
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
            tokens = list_tokens(session=session, account_id=account.id)
    except (Ambiguous, NotFound) as err:
        raise CommandError(str(err)) from err
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "scopes": list(t.scopes),
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
        }
        for t in tokens
    ]
    if args.json:
        print(json.dumps(rows))
        return 0
    for t in tokens:
        used = t.last_used_at.isoformat() if t.last_used_at else "never"
        print(f"{t.id}  {t.name}  [{' '.join(t.scopes)}]  last used: {used}")
    return 0


def _token_revoke(args, settings: Settings) -> int:
    store = _open_store(settings)
    try:
        with store.session() as session:
            token = revoke_token(session=session, token_id=args.token_id)
    except NotFound as err:
        raise CommandError(str(err)) from err
    print(f"revoked {token.id} ({token.name})")
    return 0


def _limit(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def _account_set_plan(args, settings: Settings) -> int:
    store = _open_store(settings)
    try:
        with store.session() as session:
            account = find_account(session=session, key=args.account)
            plan = set_plan(
                session=session,
                account_id=account.id,
                plan=Plan(
                    documents_per_month=args.documents_per_month,
                    storage_limit_bytes=None if args.storage_mb is None else args.storage_mb * 1024 * 1024,
                    suppliers=args.suppliers,
                ),
            )
    except (Ambiguous, NotFound) as err:
        raise CommandError(str(err)) from err
    _print({"account": account.id, **{k: v for k, v in dataclasses.asdict(plan).items()}}, False)
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
                lease=settings.lease,
            )
    except (NotFound, Conflict) as err:
        raise CommandError(str(err)) from err

    async def run() -> str | None:
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

    status = asyncio.run(run())
    print(f"{message.id}: {status or 'taken over by another worker meanwhile; this result was dropped'}")
    return 0


def _evaluate(args, settings: Settings) -> int:
    if not args.directory.is_dir():
        raise CommandError(f"{args.directory}: not a directory")
    for expected in args.expected:
        if not expected.is_file():
            raise CommandError(f"--expected {expected}: no such file")
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
    store = open_configured_store(settings)
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
