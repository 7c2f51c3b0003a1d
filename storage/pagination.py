"""Keyset cursors: opaque strings that point just after the last row of a page."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from storage.errors import StorageError


class BadCursor(StorageError):
    """The cursor was not made by us (or is from another listing)."""


def encode_cursor(received_at: datetime, row_id: str) -> str:
    raw = f"{received_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, row_id = raw.split("|", 1)
        return aware(datetime.fromisoformat(when)), row_id
    except (ValueError, UnicodeDecodeError) as err:
        raise BadCursor("invalid cursor") from err


def aware(when: datetime) -> datetime:
    """Cursors are made from UTC columns; a naive time was written by hand."""
    if when.tzinfo is None:
        raise BadCursor("the cursor's time has no time zone")
    try:
        return when.astimezone(UTC)
    except OverflowError as err:  # 9999-12-31T23:00-05:00 is past the last UTC time
        raise BadCursor("the cursor's time is out of range") from err
