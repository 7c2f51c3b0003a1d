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
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

import uvicorn

from inbox import replies
from inbox.accept import DurableAccept
from inbox.authresults import Authenticator, configure_resolver
from inbox.config import ROLES, Settings, parse_dns_servers
from inbox.digest import DigestSender
from inbox.limits import SessionGate, raise_open_files_limit, session_cap
from inbox.metrics import Metrics
from inbox.pipeline import charge_crash
from inbox.ratelog import Throttle, throttled_exception_handler
from inbox.recipient import Recipient
from inbox.recipientcache import RecipientCache
from inbox.relay import Relay
from inbox.smtp import InboxHandler, InboxSMTP
from inbox.stores import open_configured_store
from inbox.tls import Certificates
from inbox.webguard import GuardedH11Protocol
from inbox.workerprocess import WorkerProcess
from storage.accounts import accounts_for_locals
from storage.db import Store
from storage.messages import count_backlog
from storage.raw_retention import remove_old_raw_mails
from storage.rejections import record_rejection
from storage.trash import purge_expired
from storage.usage import documents_over_quota
from web.app import WebConfig, create_app
from web.clientip import parse_networks
from web.ops import ops_router
from web.webhooks.dispatcher import Dispatcher, DispatchSettings

log = logging.getLogger("inbox.serve")
TMP_MAX_AGE_SECONDS = 3600  # a spool older than this belongs to no live SMTP session
DRAIN_SECONDS = 30  # how long SIGTERM waits for mails in the middle of DATA


class _EmbeddedUvicorn(uvicorn.Server):
    def capture_signals(self):  # signals belong to the composition root
        return nullcontext()


HOUSEKEEPING_SECONDS = 3600


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
    loop.set_exception_handler(throttled_exception_handler(Throttle()))  # accept() errors, once a second
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    metrics = Metrics(backlog=partial(_backlog, store))

    # Webhook deliveries are background work: they go with the worker role. Deliveries are
    # claimed, so any number of processes may run them; each also polls for new events.
    dispatcher = (
        Dispatcher(
            store,
            DispatchSettings(
                timeout=settings.hook_timeout,
                retry_waits=settings.retry_waits(),
                allow_private=settings.hook_allow_private,
            ),
            on_outcome=metrics.webhook_delivery,
        )
        if "worker" in settings.role_set
        else None
    )

    def processed(status: str, seconds: float) -> None:
        metrics.processed(status, seconds)
        if dispatcher is not None:  # the mail's events go out now, not at the dispatcher's next poll
            dispatcher.wake()

    worker = (
        WorkerProcess(settings, on_processed=processed, on_crash=partial(charge_crash, store))
        if "worker" in settings.role_set
        else None
    )
    if worker is not None:
        worker.start()
    worker_task = asyncio.create_task(worker.supervise()) if worker is not None else None
    dispatcher_task = asyncio.create_task(dispatcher.run()) if dispatcher is not None else None
    # Emptying the trash is background work too (idempotent, so any number of workers may).
    purge_task = (
        asyncio.create_task(_housekeeping_hourly(store, settings.raw_retention_days))
        if worker is not None
        else None
    )
    relay = Relay(settings.relay_url, settings.mail_from) if settings.relay_url else None
    if relay is None:
        log.info("no INBOX_RELAY_URL: password reset by mail and the daily digest are off")
    # The daily digest too: claimed per account and day, so one of the workers sends it.
    digest_task = (
        asyncio.create_task(DigestSender(store, relay.send, settings.web_url).run())
        if worker is not None and relay is not None
        else None
    )
    # This process's web changes inboxes that its SMTP side may have looked up a moment ago.
    recipients = RecipientCache(partial(_find_account, store))
    smtp = (
        await _start_smtp(store, settings, listeners.smtp, worker, metrics, recipients)
        if listeners.smtp
        else None
    )
    web, web_task = (
        await _start_web(
            store,
            settings,
            listeners.web,
            metrics,
            smtp.server if smtp else None,
            worker,
            dispatcher,
            relay,
            recipients.forget,
        )  # fmt: skip
        if listeners.web
        else (None, None)
    )

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
        await _drain(smtp.sessions, smtp.gate)
    if web is not None:
        web.should_exit = True
    if dispatcher is not None:
        dispatcher.stop()
    for housekeeping in (purge_task, digest_task):
        if housekeeping is not None:
            housekeeping.cancel()
    if worker is not None:
        await worker.stop(timeout=settings.parse_timeout + 10)
    tasks = (worker_task, web_task, dispatcher_task)
    await asyncio.gather(*(t for t in tasks if t is not None), return_exceptions=True)
    if smtp is not None:
        smtp.authenticator.close()
    store.engine.dispose()
    log.info("stopped")


@dataclass(frozen=True)
class _Smtp:
    server: asyncio.Server
    sessions: weakref.WeakSet[InboxSMTP]
    gate: SessionGate
    authenticator: Authenticator


async def _start_smtp(
    store: Store,
    settings: Settings,
    sock: socket.socket,
    worker: WorkerProcess | None,
    metrics: Metrics,
    recipients: RecipientCache,
) -> _Smtp:
    loop = asyncio.get_running_loop()
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
    swept = store.blobs.sweep_tmp(older_than=TMP_MAX_AGE_SECONDS)
    if swept:
        log.info("removed %d abandoned spool file(s)", swept)
    configure_resolver(parse_dns_servers(settings.dns_servers), timeout=settings.dns_timeout)
    if not settings.postmaster:
        log.info("no INBOX_POSTMASTER: mail to postmaster@ and abuse@ %s is refused", settings.mail_domain)
    authenticator = Authenticator(timeout=settings.dns_timeout)
    await authenticator.prepare()

    def on_accepted(count: int) -> None:
        metrics.accepted(count)
        # A worker of this process starts at once; workers elsewhere find the mail by polling.
        if worker is not None:
            worker.wake()

    handler = InboxHandler(
        find_account=recipients,
        accept=DurableAccept(store),
        mail_domain=settings.mail_domain,
        max_recipients=settings.max_recipients,
        on_accepted=on_accepted,
        log_rejection=partial(_log_rejection, store),
        authenticate=authenticator,
        postmaster=settings.postmaster_key(),
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

    if certificates is not None:
        loop.add_signal_handler(signal.SIGHUP, certificates.reload)
    server = await loop.create_server(new_session, sock=sock)
    return _Smtp(server=server, sessions=sessions, gate=gate, authenticator=authenticator)


async def _start_web(
    store: Store,
    settings: Settings,
    sock: socket.socket,
    metrics: Metrics,
    smtp_server: asyncio.Server | None,
    worker: WorkerProcess | None,
    dispatcher: Dispatcher | None,
    relay: Relay | None,
    inboxes_changed: Callable[[], None],
) -> tuple[_EmbeddedUvicorn, asyncio.Task]:
    app = create_app(
        store,
        WebConfig(
            settings.mail_domain,
            settings.secure_cookies,
            server_timing=settings.server_timing,
            api_rate_per_minute=settings.api_rate_per_minute,
            hook_allow_private=settings.hook_allow_private,
            max_upload_bytes=settings.max_message_bytes,
            trusted_proxies=parse_networks(settings.trusted_proxies),
            web_url=settings.web_url,
        ),
        send_mail=relay.send if relay is not None else None,
        inboxes_changed=inboxes_changed,
        # Processes without them: other workers and dispatchers find the work by polling.
        **({"wake_worker": worker.wake} if worker is not None else {}),
        **({"wake_dispatcher": dispatcher.wake} if dispatcher is not None else {}),
    )
    app.include_router(ops_router(metrics=metrics.render, readiness=partial(_readiness, store, smtp_server)))
    web = _EmbeddedUvicorn(
        uvicorn.Config(
            app,
            http=GuardedH11Protocol,
            log_config=None,
            lifespan="off",
            access_log=False,
            proxy_headers=False,  # X-Forwarded-For only from INBOX_TRUSTED_PROXIES (web/clientip.py)
        )
    )
    task = asyncio.create_task(web.serve(sockets=[sock]))
    while not web.started and not task.done():
        await asyncio.sleep(0.01)
    return web, task


async def _housekeeping_hourly(store: Store, raw_retention_days: int | None) -> None:
    """Documents in the trash for longer than storage.trash.KEEP_DAYS go for good, and raw
    mails older than INBOX_RAW_RETENTION_DAYS (when set): at start, then every hour (so a
    restart does not postpone it)."""
    while True:
        try:
            purged = await asyncio.to_thread(purge_expired, store)
            if purged:
                log.info("emptied %d document(s) from the trash", purged)
        except Exception:  # a failed purge is retried next hour; it must not stop the service
            log.exception("emptying the trash failed")
        if raw_retention_days is not None:
            try:
                removed = await asyncio.to_thread(remove_old_raw_mails, store, raw_retention_days)
                if removed:
                    log.info("removed the raw mail of %d message(s) by retention", removed)
            except Exception:  # as above: next hour
                log.exception("removing raw mails by retention failed")
        await asyncio.sleep(HOUSEKEEPING_SECONDS)


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


def _readiness(store: Store, smtp_server: asyncio.Server | None) -> dict[str, bool]:
    """What /readyz checks (SMTP when this process runs it); it runs in the web's thread pool,
    never on the loop."""
    checks = {"blobs": _blobs_answer(store)}
    if smtp_server is not None:
        checks["smtp"] = smtp_server.is_serving()
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
            over = documents_over_quota(session=session, account_id=account.id)
        return Recipient(
            account.id, account.allowed_senders, account.refuse_dmarc_failures, over_quota=over is not None
        )

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
