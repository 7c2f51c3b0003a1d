"""Log lines as text for people, or one JSON object a line for log collectors.

A line about a mail carries its id in `message_id` (pass `extra=about(message_id)`), so a
collector can gather everything that happened to one mail. Inbox addresses are
credentials: lines name account ids, never an inbox address.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def about(message_id: str) -> dict[str, str]:
    """`extra=` for a log call about one mail (or several ids of one mail, comma-separated)."""
    return {"message_id": message_id}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        message_id = getattr(record, "message_id", None)
        if message_id:
            line["message_id"] = message_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per check; `migrate` says what it did
