"""The Integrations and Suppliers pages and /api/docs, in a logged-in browser session over HTTP."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_integrations import new_account
from tests.service import Service

# The Integrations and Suppliers pages: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


def csrf(html: str) -> str:
    return found(r'name="csrf_token" value="([^"]+)"', html)


def test_a_token_made_on_the_page_is_shown_once_works_and_is_disconnected(service: Service):
    account = new_account(service, "Pager")
    browser = service.client(account)
    page = browser.get("/integrations")
    assert page.status_code == 200

    made = browser.post(
        "/integrations/tokens",
        data={"csrf_token": csrf(page.text), "name": "Make", "scope": "documents:read"},
    )

    secret = found(r'<code id="new-token">(iib_[^<]+)</code>', made.text)
    assert 'data-copy="new-token"' in made.text
    api = service.client()
    api.headers["Authorization"] = f"Bearer {secret}"
    assert api.get("/api/v1/me").json()["token"]["scopes"] == ["documents:read"]
    again = browser.get("/integrations")
    assert secret not in again.text and "Make" in again.text
    token_id = found(r'action="/integrations/tokens/([0-9a-f]+)/revoke"', again.text)
    gone = browser.post(f"/integrations/tokens/{token_id}/revoke", data={"csrf_token": csrf(again.text)})
    assert gone.status_code == 303
    assert api.get("/api/v1/me").status_code == 401


def test_suppliers_are_added_on_their_page_and_link_to_their_documents(service: Service):
    browser = service.client(new_account(service, "Supplied"))
    page = browser.get("/suppliers")

    saved = browser.post(
        "/suppliers",
        data={
            "csrf_token": csrf(page.text),
            "name": "Dupont & Fils",
            "emails": "f@dupont.example",
            "vat_id": "FR1",
        },
    )

    assert saved.status_code == 303
    listed = browser.get("/suppliers").text
    assert "Dupont &amp; Fils" in listed
    supplier_id = found(r'href="/suppliers/([0-9a-f]+)"', listed)
    assert f'href="/documents?supplier_id={supplier_id}"' in listed
    assert browser.get(f"/suppliers/{supplier_id}").status_code == 200
    other = service.client(new_account(service, "Stranger"))
    assert other.get(f"/suppliers/{supplier_id}").status_code == 404


def test_the_api_docs_page_uses_only_our_own_files(service: Service):
    client = service.client()

    page = client.get("/api/docs")

    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/apidocs.js" in sources
    assert all(s.startswith("/") for s in sources), sources  # nothing from another origin
    assert client.get("/static/apidocs.js").status_code == 200
    assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/hooks"]["post"]
