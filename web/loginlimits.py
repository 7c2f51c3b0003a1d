"""Login limits that slow the guesser, not the account.

Each attempt counts under several keys, and is refused (429 with Retry-After) when any of
them is over its rule:
- `ip`: one address trying many accounts;
- `ipaccount`: one address guessing one account: it stops there, other addresses do not;
- `account`: everyone guessing one account, e.g. from many addresses: after a few failures
  each further attempt waits a doubling delay. A delay, never a lock: the owner gets in
  once it has passed;
- `device`: a browser the user logged in from before (or is logged in on) counts only its
  own failures, so guessing elsewhere never keeps the owner out.
E-mails are keyed by their hash (no addresses kept), unknown ones exactly like known ones.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Rule:
    window: timedelta
    allowed: int  # attempts in the window before the rule holds them back
    backoff: bool = False  # past `allowed`, a doubling delay instead of a refusal until the window ends


RULES = {
    "ip": Rule(timedelta(minutes=15), 50),  # an office behind one address has room for typos
    "ipaccount": Rule(timedelta(minutes=15), 10),
    "account": Rule(timedelta(days=1), 10, backoff=True),
    "device": Rule(timedelta(minutes=15), 10),
    # Reset links asked for: no flood of mail to one address, nor from one address.
    "reset-ip": Rule(timedelta(minutes=15), 10),
    "reset-account": Rule(timedelta(hours=1), 5),
}
MAX_BACKOFF = timedelta(minutes=15)


def limit_keys(*, ip: str, email: str, device: str | None) -> dict[str, str]:
    """Rule name -> the key this attempt counts under. `email` is already normalised;
    `device` is the known device's id when the browser is one of this user's."""
    account = hashlib.sha256(email.encode()).hexdigest()
    if device is not None:
        return {"device": f"device:{device}"}
    return {"ip": f"ip:{ip}", "ipaccount": f"ipaccount:{ip}:{account}", "account": f"account:{account}"}


def reset_keys(*, ip: str, email: str) -> dict[str, str]:
    account = hashlib.sha256(email.encode()).hexdigest()
    return {"reset-ip": f"reset-ip:{ip}", "reset-account": f"reset-account:{account}"}


def retry_after(rule: Rule, others: list[datetime], now: datetime) -> int:
    """Seconds this attempt must wait, 0 when it may go. `others`: the key's other attempts
    in the rule's window (failed, or being checked at this moment), oldest first."""
    over = len(others) - rule.allowed
    if over < 0:
        return 0
    if rule.backoff:
        delay = min(MAX_BACKOFF, timedelta(seconds=2 ** min(over, 30)))  # 2**30 s is past any cap
        ready = others[-1] + delay
    else:
        ready = others[over] + rule.window  # when enough of them have left the window
    return max(0, math.ceil((ready - now).total_seconds()))
