"""A mail another loop has just finished is never claimed again (issue 10, item 6)."""

from __future__ import annotations

import re
import smtplib
from collections import Counter

from tests.service import Service, wait_for

MAILS = 120


def test_every_mail_is_processed_exactly_once_by_concurrent_loops(tmp_path):
    service = Service(tmp_path / "data", env={"INBOX_WORKERS": "6"}).start()
    try:
        account = service.create_account("Acme", "owner@acme.example")
        with smtplib.SMTP("127.0.0.1", service.smtp_port) as smtp:
            for n in range(MAILS):
                body = f"Subject: note {n}\r\nFrom: a@supplier.example\r\n\r\nno attachment {n}\r\n"
                smtp.sendmail("a@supplier.example", [account.inbox_address], body.encode())
        client = service.client(account)

        def finished() -> int:
            items, cursor = [], None
            while True:
                page = client.get(
                    "/api/messages", params={"limit": 200, "cursor": cursor} if cursor else {"limit": 200}
                ).json()
                items += page["items"]
                if not (cursor := page["next_cursor"]):
                    break
            return sum(m["status"] != "received" for m in items) == MAILS

        wait_for(finished, timeout=180)
    finally:
        service.stop()

    processed = Counter(re.findall(r"processed id=(\w+)", service.log()))
    assert len(processed) == MAILS
    assert [mid for mid, times in processed.items() if times > 1] == []
