"""A delivery's body: `{"type", "timestamp", "data"}`, data being the API's own object.

Rendered once per event and kept (storage.hooks.keep_payload): retries and the sample route
send the very same bytes.
"""

from __future__ import annotations

import json

from sqlmodel import Session

from storage.documents import get_document
from storage.hooks import EventRead, keep_payload
from storage.messages import get_message
from web.api.schemas import document_json, message_json


def payload(session: Session, event: EventRead) -> str:
    if event.payload is not None:
        return event.payload
    if event.type == "document.created":
        data = document_json(
            get_document(
                session=session,
                account_id=event.account_id,
                document_id=event.subject_id,
                include_deleted=True,
            )
        )
    else:
        data = message_json(
            get_message(session=session, account_id=event.account_id, message_id=event.subject_id)
        )
    body = json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
    )
    keep_payload(session=session, event_id=event.id, payload=body)
    return body
