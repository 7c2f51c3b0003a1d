"""The store the settings name: database, blob store and the blob store's options."""

from __future__ import annotations

from inbox.config import Settings
from storage.db import Store, open_store


def open_configured_store(settings: Settings) -> Store:
    return open_store(
        settings.data_dir,
        settings.database_url,
        settings.blob_url,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_timeout=settings.s3_timeout,
    )
