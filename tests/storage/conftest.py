from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.db import Store
from storage.schema import migrate
from tests.backends import Backend


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    """A migrated store on this test's backend (a module may define its own instead)."""
    store = backend.open_store()
    migrate(store.engine)
    yield store
    store.engine.dispose()
