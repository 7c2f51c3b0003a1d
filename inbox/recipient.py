"""What the SMTP side knows of an inbox: plain values, built from storage by the composition root."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Recipient:
    """The active account behind an inbox address."""

    account_id: str
    allowed_senders: str = ""  # newline-separated addresses or @domains; empty: anyone
    refuse_dmarc_failures: bool = False  # mail that fails its sender's DMARC gets 550 5.7.1
    over_quota: bool = False  # the plan's documents this month are used up: 452 4.2.2


@dataclass(frozen=True, slots=True)
class Delivery:
    """A mail for one account, and the address it was sent to."""

    account_id: str
    envelope_to: str
