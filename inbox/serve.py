"""The composition root: SMTP listener and web, the worker process beside them, and shutdown.

This is the only module that installs signal handlers or knows every layer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import weakref
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

import uvicorn

from inbox import replies
from inbox.accept import DurableAccept
from inbox.authresults import Authenticator, configure_resolver
from inbox.config import Settings, parse_dns_servers
from inbox.limits import SessionGate, raise_open_files_limit, session_cap
from inbox.metrics import Metrics
from inbox.pipeline import charge_crash
from inbox.ratelog import Throttle, throttled_exception_handler
from inbox.recipient import Recipient
from inbox.smtp import InboxHandler, InboxSMTP
from inbox.tls import Certificates
from inbox.webguard import GuardedH11Protocol
from inbox.workerprocess import WorkerProcess
from storage.accounts import accounts_for_locals
from storage.db import Store, open_store
from storage.messages import count_backlog
from storage.rejections import record_rejection
from web.app import WebConfig, create_app
from web.ops import ops_router

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
    certificates = (
        Certificates(settings.tls_cert, settings.tls_key) if settings.tls_cert and settings.tls_key else None
    )
    open_files = raise_open_files_limit()
    gate = SessionGate(
        max_per_ip=settings.max_connections_per_ip,
        max_sessions=session_cap(settings.max_sessions, open_files),
        mails_per_minute=settings.mails_per_minute_per_ip,
    )
    log.info("open files limit %d: at most %d SMTP sessions", open_files, gate.max_sessions)
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(throttled_exception_handler(Throttle()))  # accept() errors, once a second
    store = open_store(settings.data_dir, settings.database_url, settings.blob_url)
    swept = store.blobs.sweep_tmp(older_than=TMP_MAX_AGE_SECONDS)
    if swept:
        log.info("removed %d abandoned spool file(s)", swept)
    configure_resolver(parse_dns_servers(settings.dns_servers), timeout=settings.dns_timeout)
    authenticator = Authenticator(timeout=settings.dns_timeout)
    metrics = Metrics(backlog=partial(_backlog, store))
    worker = WorkerProcess(settings, on_processed=metrics.processed, on_crash=partial(charge_crash, store))
    worker.start()

    def on_accepted(count: int) -> None:
        metrics.accepted(count)
        worker.wake()

    handler = InboxHandler(
        find_account=partial(_find_account, store),
        accept=DurableAccept(store),
        mail_domain=settings.mail_domain,
        max_recipients=settings.max_recipients,
        on_accepted=on_accepted,
        log_rejection=partial(_log_rejection, store),
        authenticate=authenticator,
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
            gate=gate,
            timeout=settings.smtp_timeout,
            data_timeout=settings.smtp_data_timeout,
            max_errors=settings.smtp_max_errors,
            tls_context=certificates.context if certificates else None,
            require_starttls=settings.require_tls,
            on_reply=metrics.smtp_reply,
        )
        sessions.add(protocol)
        return protocol

    smtp_server = await loop.create_server(new_session, sock=listeners.smtp)
    web_socket = listeners.web
    app = create_app(store, WebConfig(settings.mail_domain, settings.secure_cookies, settings.server_timing))
    app.include_router(ops_router(metrics=metrics.render, readiness=partial(_readiness, store, smtp_server)))
    web = _EmbeddedUvicorn(
        uvicorn.Config(
            app,
            http=GuardedH11Protocol,
            log_config=None,
            lifespan="off",
            access_log=False,
        )
    )
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    if certificates is not None:
        loop.add_signal_handler(signal.SIGHUP, certificates.reload)

    worker_task = asyncio.create_task(worker.supervise())
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
    await _drain(sessions, gate)
    web.should_exit = True
    await worker.stop(timeout=settings.parse_timeout + 10)
    await asyncio.gather(worker_task, web_task, return_exceptions=True)
    authenticator.close()
    store.engine.dispose()
    log.info("stopped")


async def _drain(sessions: weakref.WeakSet[InboxSMTP], gate: SessionGate) -> None:
    """Idle sessions get 421 at once; sessions in the middle of a mail may finish it (and no
    other), for at most DRAIN_SECONDS."""
    gate.draining = True
    deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        for protocol in list(sessions):
            if protocol.idle():
                protocol.evict(replies.SHUTTING_DOWN)
        if not any(protocol.transport is not None for protocol in sessions):
            return
        await asyncio.sleep(0.05)
    for protocol in list(sessions):
        protocol.evict(replies.SHUTTING_DOWN)


def _backlog(store: Store) -> int:
    with store.session() as session:
        return count_backlog(session=session)


def _readiness(store: Store, smtp_server: asyncio.Server) -> dict[str, bool]:
    """What /readyz checks; it runs in the web's thread pool, never on the loop."""
    checks = {"smtp": smtp_server.is_serving(), "blobs": _blobs_answer(store)}
    try:
        with store.session() as session:
            session.connection().exec_driver_sql("SELECT 1")
        checks["database"] = True
    except Exception:  # any failure means "not ready", with the log saying why
        log.exception("readiness: the database does not answer")
        checks["database"] = False
    return checks


def _blobs_answer(store: Store) -> bool:
    """The spool directory takes files, and the store answers a question."""
    try:
        store.blobs.exists("0" * 64)
    except Exception:  # any failure means "not ready", with the log saying why
        log.exception("readiness: the blob store does not answer")
        return False
    return os.access(store.blobs.spool_dir, os.W_OK)


async def _find_account(store: Store, local: str) -> Recipient | None:
    def lookup() -> Recipient | None:
        with store.session() as session:
            account = accounts_for_locals(session=session, locals_=[local]).get(local)
        if account is None:
            return None
        return Recipient(account.id, account.allowed_senders, account.refuse_dmarc_failures)

    return await asyncio.to_thread(lookup)


async def _log_rejection(
    store: Store, account: Recipient, envelope_from: str, envelope_to: str, reason: str
) -> None:
    def record() -> None:
        with store.session() as session:
            record_rejection(
                session=session,
                account_id=account.account_id,
                envelope_from=envelope_from,
                envelope_to=envelope_to,
                reason=reason,
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
