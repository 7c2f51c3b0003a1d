"""Schemathesis against the served OpenAPI document: no generated request gets a 5xx.

A bounded number of examples per operation keeps `make test` short; the service is real and
holds a document, a supplier and a hook, so ids and lists have something to find.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.builders import make_pdf
from tests.e2e.test_integrations import HOOK_ENV, api, new_account
from tests.service import Service

# Request validation of the API: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic

EXAMPLES_PER_OPERATION = 8


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    service = Service(
        data_dir=tmp_path_factory.mktemp("fuzz") / "data",
        env=HOOK_ENV | {"INBOX_API_RATE_PER_MINUTE": "100000"},
    ).start()
    client = api(service, new_account(service, "Fuzz"))
    client.post("/api/v1/documents", files={"file": ("f.pdf", make_pdf(["INVOICE F-1"]), "application/pdf")})
    client.post("/api/v1/suppliers", json={"name": "Fuzz supplier", "emails": ["a@b.example"]})
    yield service, client.headers["Authorization"]
    service.stop()


def test_no_request_gets_a_server_error(fuzzed):
    service, authorization = fuzzed
    schema = schemathesis.openapi.from_url(f"{service.web_url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # every route of the document, not an empty loop

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def no_server_error(case):
            response = case.call(headers={"Authorization": authorization}, timeout=60)
            case.validate_response(response, checks=(not_a_server_error,))

        no_server_error()
