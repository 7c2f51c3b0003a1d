"""The daily digest: once a UTC day, each account's owners get the mail refused and failed
since the last digest (the last 24 h), through the relay, in their language. Nothing is sent
when there is nothing to report.

Run by the housekeeping of every serve process with the worker role; the day's claim in the
database (storage/digests.py) makes one of them send it. A digest the relay did not take is
released and retried next round. Should a process die between the relay's 250 and recording
it, the digest goes again after the claim's lease: at least once, never lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from storage.db import Store
from storage.digests import (
    DigestContent,
    accounts_due,
    claim_digest,
    digest_content,
    finish_digest,
    release_digest,
)
from storage.models import utcnow
from web.i18n import DEFAULT_LANGUAGE, Formats, load_catalogues
from web.labels import reasoner
from web.mails import DigestLine, digest_mail

log = logging.getLogger("inbox.digest")
ROUND_SECONDS = 600  # a round costs one query when every digest of the day is out


@dataclass
class RoundResult:
    sent: int = 0
    empty: int = 0
    failed: int = 0
    taken: int = 0  # claimed by another process


class DigestSender:
    def __init__(self, store: Store, send: Callable[[EmailMessage], None], web_url: str) -> None:
        self.store = store
        self.send = send
        self.web_url = web_url
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.catalogues = load_catalogues()

    async def run(self) -> None:
        """A round at start, then every ROUND_SECONDS, until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.round)
            except Exception:  # a failed round is retried next time; it must not stop the service
                log.exception("daily digest round failed")
            await asyncio.sleep(ROUND_SECONDS)

    def round(self, now: datetime | None = None) -> RoundResult:
        day = (now or utcnow()).date()
        result = RoundResult()
        with self.store.session() as session:
            due = accounts_due(session=session, day=day)
        for account_id in due:
            with self.store.session() as session:
                claimed = claim_digest(session=session, account_id=account_id, day=day, holder=self.holder)
            if not claimed:
                result.taken += 1
                continue
            try:
                with self.store.session() as session:
                    content = digest_content(session=session, account_id=account_id, day=day)
                sent = self._send(content)
            except Exception as err:  # the relay's or the database's: retried next round
                log.warning("daily digest of account %s not sent, retried next round: %s", account_id, err)
                with self.store.session() as session:
                    release_digest(session=session, account_id=account_id, day=day, holder=self.holder)
                result.failed += 1
                continue
            with self.store.session() as session:
                finish_digest(session=session, account_id=account_id, day=day, holder=self.holder)
            if sent:
                result.sent += 1
            else:
                result.empty += 1
        log.info(
            "daily digest round: %d sent, %d with nothing to report, %d failed, %d taken by another process",
            result.sent,
            result.empty,
            result.failed,
            result.taken,
        )
        return result

    def _send(self, content: DigestContent) -> bool:
        if not content.refused and not content.failed:
            return False
        for owner in content.owners:
            lang = owner.language if owner.language in self.catalogues else DEFAULT_LANGUAGE
            gettext = self.catalogues[lang].gettext
            why = reasoner(gettext)
            self.send(
                digest_mail(
                    gettext,
                    Formats(lang, owner.time_zone),
                    to=owner.email,
                    account=content.account_name,
                    refused=[DigestLine(i.at, i.sender, why(i.reason)) for i in content.refused],
                    failed=[DigestLine(i.at, i.sender, why(i.reason)) for i in content.failed],
                    web_url=self.web_url,
                )
            )
        return bool(content.owners)
