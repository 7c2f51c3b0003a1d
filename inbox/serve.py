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
from inbox.config import Settings
from inbox.recipient import Recipient
from inbox.smtp import InboxHandler, InboxSMTP
from inbox.workerprocess import WorkerProcess
from storage.accounts import accounts_for_locals
from storage.db import Store, open_store
from storage.rejections import record_rejection
from storage.trash import purge_expired
from web.app import WebConfig, create_app

log = logging.getLogger("inbox.serve")
TMP_MAX_AGE_SECONDS = 3600  # a spool older than this belongs to no live SMTP session
DRAIN_SECONDS = 30  # how long SIGTERM waits for mails in the middle of DATA


class _EmbeddedUvicorn(uvicorn.Server):
    def capture_signals(self):  # signals belong to the composition root
        return nullcontext()


TRASH_PURGE_SECONDS = 3600


class PortTaken(Exception):
    """A listening port is in use; the message names it and its setting."""


@dataclass(frozen=True)
class Listeners:
    smtp: socket.socket
    web: socket.socket

    def close(self) -> None:
        self.smtp.close()
        self.web.close()


def bind_listeners(settings: Settings) -> Listeners:
    """Both ports bound before anything else happens, so a taken one stops the start cleanly."""
    smtp = _listen(settings.host, settings.smtp_port, "--smtp-port / INBOX_SMTP_PORT")
    try:
        web = _listen(settings.host, settings.web_port, "--web-port / INBOX_WEB_PORT")
    except PortTaken:
        smtp.close()
        raise
    return Listeners(smtp=smtp, web=web)


async def serve(settings: Settings, listeners: Listeners, *, ready=print) -> None:
    store = open_store(settings.data_dir, settings.database_url, settings.blob_url)
    swept = store.blobs.sweep_tmp(older_than=TMP_MAX_AGE_SECONDS)
    if swept:
        log.info("removed %d abandoned spool file(s)", swept)
    worker = WorkerProcess(settings)
    worker.start()
    handler = InboxHandler(
        find_account=partial(_find_account, store),
        accept=DurableAccept(store),
        mail_domain=settings.mail_domain,
        max_recipients=settings.max_recipients,
        on_accepted=worker.wake,
        log_rejection=partial(_log_rejection, store),
    )
    sessions: weakref.WeakSet[InboxSMTP] = weakref.WeakSet()

    def new_session() -> InboxSMTP:
        protocol = InboxSMTP(
            handler,
            spool_dir=store.blobs.spool_dir,  # same filesystem as the blobs: accept renames, not copies
            data_size_limit=settings.max_message_bytes,
            enable_SMTPUTF8=True,
            ident="invoice-inbox",
            hostname=settings.mail_domain,
        )
        sessions.add(protocol)
        return protocol

    loop = asyncio.get_running_loop()
    smtp_server = await loop.create_server(new_session, sock=listeners.smtp)
    web_socket = listeners.web
    web = _EmbeddedUvicorn(
        uvicorn.Config(
            create_app(store, WebConfig(settings.mail_domain, settings.secure_cookies)),
            log_config=None,
            lifespan="off",
            access_log=False,
        )
    )
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)

    worker_task = asyncio.create_task(worker.supervise())
    purge_task = asyncio.create_task(_empty_trash_hourly(store))
    web_task = asyncio.create_task(web.serve(sockets=[web_socket]))
    while not web.started and not web_task.done():
        await asyncio.sleep(0.01)
    smtp_port = smtp_server.sockets[0].getsockname()[1]
    web_port = web_socket.getsockname()[1]
    web_url = f"http://{settings.host}:{web_port}/"
    ready(f"invoice-inbox ready: smtp={settings.host}:{smtp_port} web={web_url} data={settings.data_dir}")

    await stopping.wait()
    log.info("shutting down: no new connections, finishing mails in progress")
    smtp_server.close()
    await _drain(sessions)
    web.should_exit = True
    purge_task.cancel()
    await worker.stop(timeout=settings.parse_timeout + 10)
    await asyncio.gather(worker_task, web_task, return_exceptions=True)
    store.engine.dispose()
    log.info("stopped")


async def _empty_trash_hourly(store: Store) -> None:
    """Documents in the trash for longer than storage.trash.KEEP_DAYS go for good: at start,
    then every hour (so a restart does not postpone it)."""
    while True:
        try:
            purged = await asyncio.to_thread(purge_expired, store)
            if purged:
                log.info("emptied %d document(s) from the trash", purged)
        except Exception:  # a failed purge is retried next hour; it must not stop the service
            log.exception("emptying the trash failed")
        await asyncio.sleep(TRASH_PURGE_SECONDS)


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
