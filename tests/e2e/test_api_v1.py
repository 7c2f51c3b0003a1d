"""/api/v1 over real HTTP against `inbox serve`: typed schemas, the pages' search, Bearer downloads."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.inbox.test_einvoice import cii
from tests.service import Service, inbox_cli, wait_for
from tests.web.samples import send_samples


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """One server with a small realistic inbox and a second, empty account; read-only tests."""
    service = Service(data_dir=tmp_path_factory.mktemp("api") / "data").start()
    account = service.create_account("Müller GmbH", "anna@mueller.example")
    other = service.create_account("Other AG", "otto@other.example")
    expected = send_samples(service, account)
    browser = service.client(account)
    wait_for(lambda: len(browser.get("/api/documents").json()["items"]) == expected, timeout=60)
    api = service.client()
    api.headers["Authorization"] = f"Bearer {token_for(service, account.email)}"
    outsider = service.client()
    outsider.headers["Authorization"] = f"Bearer {token_for(service, other.email)}"
    yield service, browser, api, outsider
    service.stop()


def token_for(service: Service, account: str) -> str:
    result = inbox_cli(service.data_dir, "token", "create", account)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def listed_ids(html: str) -> list[str]:
    return re.findall(r'<a href="/documents/([0-9a-f]{20})">', html)


def api_ids(api, **params) -> list[str]:
    response = api.get("/api/v1/documents", params=params)
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["items"]]


def test_the_openapi_document_has_typed_document_and_message_schemas(inbox):
    service, *_ = inbox

    document = service.client().get("/api/v1/openapi.json").json()

    schemas = document["components"]["schemas"]
    doc = schemas["Document"]["properties"]
    assert doc["received_at"] == {"type": "string", "format": "date-time", "title": "Received At"}
    assert doc["size"]["type"] == "integer" and doc["id"]["type"] == "string"
    assert {"$ref": "#/components/schemas/Invoice"} in doc["invoice"]["anyOf"]
    assert "message" in doc and "message_id" not in doc  # the contract's name for the mail's id
    invoice = schemas["Invoice"]["properties"]
    assert {"number", "issue_date", "total", "currency", "source", "buyer_reference", "confidence"} <= set(
        invoice
    )
    assert {"type": "string", "format": "date"} in invoice["issue_date"]["anyOf"]
    assert invoice["confidence"]["additionalProperties"] == {"type": "number"}
    assert set(schemas["InvoiceSource"]["enum"]) == {"xml", "text", "user"}  # user: typed in by hand
    message = schemas["Message"]["properties"]
    assert message["status"] == {"$ref": "#/components/schemas/MessageStatus"}
    assert set(schemas["MessageStatus"]["enum"]) == {"received", "processed", "no_documents", "failed"}
    assert "envelope_to" not in message  # an inbox address is a credential
    assert schemas["MessageDetail"]["properties"]["parts"]["items"] == {
        "$ref": "#/components/schemas/PartLog"
    }
    assert "duplicate" in schemas["Decision"]["enum"]
    parameters = {p["name"] for p in document["paths"]["/api/v1/documents"]["get"]["parameters"]}
    assert {"q", "kind", "status", "sender", "from", "to", "sort", "cursor", "limit"} <= parameters
    assert set(document["paths"]) >= {
        "/api/v1/documents/{document_id}/download",
        "/api/v1/messages",
        "/api/v1/messages/{message_id}",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"q": "lease agreement"},
        {"q": "Dupont"},
        {"kind": "einvoice"},
        {"kind": "image"},
        {"sender": "mueller"},
        {"sort": "supplier", "dir": "asc"},
        {"sort": "total"},
        {"q": "invoice", "sort": "date", "dir": "asc"},
        {"from": "2000-01-01", "to": "2999-12-31"},
        {"to": "2000-01-01"},
    ],
)
def test_the_api_lists_the_same_documents_in_the_same_order_as_the_page(inbox, params):
    _, browser, api, _ = inbox

    page = browser.get("/documents", params=params)

    assert api_ids(api, **params) == listed_ids(page.text)


def test_search_actually_narrows_the_list(inbox):
    _, _, api, _ = inbox

    everything, lease = api_ids(api), api_ids(api, q="lease agreement")

    assert len(lease) == 1 and len(everything) == 6


def test_pages_of_the_api_follow_its_cursor(inbox):
    _, _, api, _ = inbox
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/documents", params={"sort": "supplier", "limit": 2, "cursor": cursor}).json()
        seen += [d["id"] for d in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break

    assert seen == api_ids(api, sort="supplier")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"sort": "colour"}, "sort"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"kind": "spreadsheet"}, "kind"),
        ({"status": "lost"}, "status"),
        ({"from": "yesterday"}, "from"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(inbox, params, named):
    _, _, api, _ = inbox

    response = api.get("/api/v1/documents", params=params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_parameter"
    assert error["message"].startswith(f"{named}: ")


def test_a_cursor_of_another_order_is_a_400(inbox):
    _, _, api, _ = inbox
    cursor = api.get("/api/v1/documents", params={"limit": 1}).json()["next_cursor"]

    response = api.get("/api/v1/documents", params={"sort": "total", "cursor": cursor})

    assert response.status_code == 400 and response.json()["error"]["message"].startswith("cursor: ")


def test_buyer_reference_and_confidence_reach_the_api(inbox):
    _, _, api, _ = inbox
    (xml_id,) = api_ids(api, kind="einvoice")
    text_ids = [i for i in api_ids(api, kind="pdf") if api.get(f"/api/v1/documents/{i}").json()["invoice"]]

    invoice = api.get(f"/api/v1/documents/{xml_id}").json()["invoice"]
    from_text = api.get(f"/api/v1/documents/{text_ids[0]}").json()["invoice"]

    assert invoice["buyer_reference"] == "04011000-12345-34"
    assert invoice["source"] == "xml" and invoice["total"] == "240.01"
    assert invoice["confidence"]["total"] == 1.0 and invoice["confidence"]["buyer_reference"] == 1.0
    assert invoice["lines"][0]["net_amount"] == "200.01"
    assert from_text["source"] == "text"
    assert from_text["confidence"] and all(0 < c < 1 for c in from_text["confidence"].values())


def test_a_bearer_token_downloads_the_bytes_from_both_routes(inbox):
    _, _, api, _ = inbox
    (xml_id,) = api_ids(api, kind="einvoice")
    sha256 = api.get(f"/api/v1/documents/{xml_id}").json()["sha256"]

    v1 = api.get(f"/api/v1/documents/{xml_id}/download")
    page_route = api.get(f"/documents/{xml_id}/download")

    for response in (v1, page_route):
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == sha256
    assert v1.content == cii()  # exactly the attachment that was mailed
    assert "attachment" in v1.headers["content-disposition"]


def test_another_accounts_document_is_a_404_for_a_token(inbox):
    _, _, api, outsider = inbox
    doc_id = api_ids(api)[0]

    for path in (f"/api/v1/documents/{doc_id}", f"/api/v1/documents/{doc_id}/download"):
        response = outsider.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": response.json()["error"]["message"]}
        }
    assert outsider.get(f"/documents/{doc_id}/download").status_code == 404
    assert api_ids(outsider) == []


def test_a_wrong_token_on_the_page_download_is_a_401_not_a_login_redirect(inbox):
    service, _, api, _ = inbox
    doc_id = api_ids(api)[0]
    forged = service.client()

    response = forged.get(f"/documents/{doc_id}/download", headers={"Authorization": "Bearer iib_forged"})

    assert response.status_code == 401
    assert service.client().get(f"/documents/{doc_id}/download").status_code == 303  # a browser: log in


def test_messages_with_their_part_log(inbox):
    _, browser, api, _ = inbox

    listed = api.get("/api/v1/messages").json()["items"]
    (xml_mail,) = [m for m in listed if m["subject"] == "Facture FA-2024-0042"]
    detail = api.get(f"/api/v1/messages/{xml_mail['id']}").json()

    assert len(listed) == 6 and all(m["status"] == "processed" for m in listed)
    assert detail["document_ids"] == xml_mail["document_ids"] and len(detail["document_ids"]) == 1
    (document_part,) = [p for p in detail["parts"] if p["decision"] == "document"]
    assert (
        document_part["filename"] == "xrechnung.xml"
        and document_part["document_id"] == detail["document_ids"][0]
    )
    assert {p["decision"] for p in detail["parts"]} >= {"container", "body", "document"}
    assert browser.get(f"/api/v1/messages/{xml_mail['id']}").json() == detail  # a session works too


def test_the_first_api_routes_keep_their_shapes(inbox):
    _, browser, api, _ = inbox

    documents = api.get("/api/documents").json()
    message = api.get(f"/api/messages/{documents['items'][0]['message']}").json()
    missing = browser.get("/api/documents/00000000000000000000")

    contract = {"id", "filename", "sha256", "size", "kind", "pages", "sender", "subject", "received_at"}
    assert contract | {"status", "invoice", "message"} <= set(documents["items"][0])
    invoice = next(d["invoice"] for d in documents["items"] if d["invoice"])
    assert {
        "number",
        "issue_date",
        "due_date",
        "seller",
        "seller_vat_id",
        "buyer",
        "total",
        "currency",
    } <= set(invoice)
    assert {"type", "profile", "source"} <= set(invoice)
    assert {
        "id",
        "status",
        "reason",
        "sender",
        "subject",
        "message_id",
        "received_at",
        "document_ids",
        "parts",
    } <= set(message)
    assert missing.status_code == 404 and "detail" in missing.json()
    assert (
        api.get("/api/documents", params={"q": "lease agreement"}).json()["items"][0]["filename"]
        == "lease.pdf"
    )
