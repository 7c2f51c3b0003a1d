"""The composition root: SMTP listener and web, the worker process beside them, and shutdown.

This is the only module that installs signal handlers or knows every layer.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import weakref
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

import uvicorn

from inbox.accept import DurableAccept
from inbox.config import ROLES, Settings
from inbox.recipient import Recipient
from inbox.smtp import InboxHandler, InboxSMTP
from inbox.stores import open_configured_store
from inbox.workerprocess import WorkerProcess
from storage.accounts import accounts_for_locals
from storage.db import Store
from storage.rejections import record_rejection
from web.app import WebConfig, create_app

log = logging.getLogger("inbox.serve")
TMP_MAX_AGE_SECONDS = 3600  # a spool older than this belongs to no live SMTP session
DRAIN_SECONDS = 30  # how long SIGTERM waits for mails in the middle of DATA


class _EmbeddedUvicorn(uvicorn.Server):
    def capture_signals(self):  # signals belong to the composition root
        return nullcontext()


class PortTaken(Exception):
    """A listening port is in use; the message names it and its setting."""


@dataclass(frozen=True)
class Listeners:
    """The sockets of the roles that listen; None for a role this process does not run."""

    smtp: socket.socket | None
    web: socket.socket | None

    def close(self) -> None:
        for sock in (self.smtp, self.web):
            if sock is not None:
                sock.close()


def bind_listeners(settings: Settings) -> Listeners:
    """The ports of this process's roles, bound before anything else happens, so a taken one
    stops the start cleanly."""
    roles = settings.role_set
    smtp = (
        _listen(settings.host, settings.smtp_port, "--smtp-port / INBOX_SMTP_PORT")
        if "smtp" in roles
        else None
    )
    try:
        web = (
            _listen(settings.host, settings.web_port, "--web-port / INBOX_WEB_PORT")
            if "web" in roles
            else None
        )
    except PortTaken:
        if smtp is not None:
            smtp.close()
        raise
    return Listeners(smtp=smtp, web=web)


async def serve(settings: Settings, listeners: Listeners, *, ready=print) -> None:
    """Run this process's roles (SMTP, worker, web: by default all three) until SIGTERM.

    Each role may run in any number of processes on any number of machines sharing the
    database and the blob store; nothing here assumes it is the only one.
    """
    store = open_configured_store(settings)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)

    worker = WorkerProcess(settings) if "worker" in settings.role_set else None
    if worker is not None:
        worker.start()
    worker_task = asyncio.create_task(worker.supervise()) if worker is not None else None
    smtp = await _start_smtp(store, settings, listeners.smtp, worker) if listeners.smtp else None
    web, web_task = await _start_web(store, settings, listeners.web) if listeners.web else (None, None)

    parts = []
    if smtp is not None:
        parts.append(f"smtp={settings.host}:{smtp.server.sockets[0].getsockname()[1]}")
    if listeners.web is not None:
        parts.append(f"web=http://{settings.host}:{listeners.web.getsockname()[1]}/")
    if settings.role_set != set(ROLES):
        parts.append(f"roles={','.join(r for r in ROLES if r in settings.role_set)}")
    ready(f"invoice-inbox ready: {' '.join(parts)} data={settings.data_dir}")

    await stopping.wait()
    log.info("shutting down: no new connections, finishing mails in progress")
    if smtp is not None:
        smtp.server.close()
        await _drain(smtp.sessions)
    if web is not None:
        web.should_exit = True
    if worker is not None:
        await worker.stop(timeout=settings.parse_timeout + 10)
    await asyncio.gather(*(t for t in (worker_task, web_task) if t is not None), return_exceptions=True)
    store.engine.dispose()
    log.info("stopped")


@dataclass(frozen=True)
class _Smtp:
    server: asyncio.Server
    sessions: weakref.WeakSet[InboxSMTP]


async def _start_smtp(
    store: Store, settings: Settings, sock: socket.socket, worker: WorkerProcess | None
) -> _Smtp:
    swept = store.blobs.sweep_tmp(older_than=TMP_MAX_AGE_SECONDS)
    if swept:
        log.info("removed %d abandoned spool file(s)", swept)
    handler = InboxHandler(
        find_account=partial(_find_account, store),
        accept=DurableAccept(store),
        mail_domain=settings.mail_domain,
        max_recipients=settings.max_recipients,
        # A worker of this process starts at once; workers elsewhere find the mail by polling.
        on_accepted=worker.wake if worker is not None else _nothing,
        log_rejection=partial(_log_rejection, store),
    )
    sessions: weakref.WeakSet[InboxSMTP] = weakref.WeakSet()

    def new_session() -> InboxSMTP:
        protocol = InboxSMTP(
            handler,
            spool_dir=store.blobs.spool_dir,  # files: the blobs' filesystem, so accept renames, not copies
            data_size_limit=settings.max_message_bytes,
            enable_SMTPUTF8=True,
            ident="invoice-inbox",
            hostname=settings.mail_domain,
        )
        sessions.add(protocol)
        return protocol

    server = await asyncio.get_running_loop().create_server(new_session, sock=sock)
    return _Smtp(server=server, sessions=sessions)


async def _start_web(
    store: Store, settings: Settings, sock: socket.socket
) -> tuple[_EmbeddedUvicorn, asyncio.Task]:
    web = _EmbeddedUvicorn(
        uvicorn.Config(
            create_app(store, WebConfig(settings.mail_domain, settings.secure_cookies)),
            log_config=None,
            lifespan="off",
            access_log=False,
        )
    )
    task = asyncio.create_task(web.serve(sockets=[sock]))
    while not web.started and not task.done():
        await asyncio.sleep(0.01)
    return web, task


def _nothing() -> None:
    pass


async def _drain(sessions: weakref.WeakSet[InboxSMTP]) -> None:
    """Let sessions in the middle of a mail finish, then close the idle ones."""
    deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
    while any(_in_transaction(s) for s in sessions) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    for protocol in list(sessions):
        if protocol.transport is not None:
            protocol.transport.close()


def _in_transaction(protocol: InboxSMTP) -> bool:
    envelope = protocol.envelope
    return protocol.transport is not None and envelope is not None and envelope.mail_from is not None


async def _find_account(store: Store, local: str) -> Recipient | None:
    def lookup() -> Recipient | None:
        with store.session() as session:
            account = accounts_for_locals(session=session, locals_=[local]).get(local)
        return None if account is None else Recipient(account.id, account.allowed_senders)

    return await asyncio.to_thread(lookup)


async def _log_rejection(store: Store, account: Recipient, envelope_from: str, envelope_to: str) -> None:
    def record() -> None:
        with store.session() as session:
            record_rejection(
                session=session,
                account_id=account.account_id,
                envelope_from=envelope_from,
                envelope_to=envelope_to,
                reason="sender not on the allowed list",
            )

    await asyncio.to_thread(record)


def _listen(host: str, port: int, setting: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise PortTaken(f"cannot listen on {host}:{port} ({setting}): {err.strerror}") from err
    sock.listen(512)
    sock.set_inheritable(True)
    return sock
