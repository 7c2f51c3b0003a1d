"""Contract point 4: one account never sees another's mails or documents."""

from __future__ import annotations

import email.policy
import smtplib
from urllib.parse import urlencode

import pytest

from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for


@pytest.fixture(scope="module")
def two_accounts(shared_service: Service):
    """Alice with one mailed invoice, Bob with nothing; shared by the module's read-only checks."""
    service = shared_service
    alice = service.create_account("Alice SARL", "alice@alice.example")
    bob = service.create_account("Bob AG", "bob@bob.example")
    mail = make_mail(
        to=alice.inbox_address,
        subject="Secret invoice",
        attachments=[("alice-secret.pdf", make_pdf(["secret"]), "application/pdf")],
    )
    with smtplib.SMTP("127.0.0.1", service.smtp_port) as client:
        client.sendmail("s@supplier.example", [alice.inbox_address], mail.as_bytes(policy=email.policy.SMTP))
    alice_client = service.client(alice)
    (doc,) = wait_for(lambda: alice_client.get("/api/documents").json()["items"])
    return service.client(bob), doc


def test_bob_lists_nothing_of_alice(two_accounts):
    bob, doc = two_accounts

    assert bob.get("/api/documents").json()["items"] == []
    assert bob.get("/api/messages").json()["items"] == []
    assert bob.get("/api/v1/documents", params={"q": "secret"}).json()["items"] == []
    assert bob.get("/api/v1/messages").json()["items"] == []
    assert "alice-secret.pdf" not in bob.get("/documents").text
    assert "Secret invoice" not in bob.get("/messages").text


@pytest.mark.parametrize(
    "path",
    [
        "/documents/{doc}",
        "/documents/{doc}/download",
        "/documents/{doc}/preview",
        "/documents/{doc}/thumbnail",
        "/api/documents/{doc}",
        "/messages/{msg}",
        "/messages/{msg}/body",
        "/messages/{msg}/raw",
        "/api/messages/{msg}",
        "/api/v1/documents/{doc}",
        "/api/v1/documents/{doc}/download",
        "/api/v1/messages/{msg}",
    ],
)
def test_alices_ids_are_404_for_bob(two_accounts, path: str):
    bob, doc = two_accounts

    response = bob.get(path.format(doc=doc["id"], msg=doc["message"]))

    assert response.status_code == 404
    assert "secret" not in response.text.lower()


def test_alices_ids_in_a_zip_request_are_404_for_bob(two_accounts):
    bob, doc = two_accounts
    csrf = bob.get("/documents").text.split('name="csrf_token" value="')[1].split('"')[0]

    response = bob.post("/documents/zip", data={"csrf_token": csrf, "id": [doc["id"]]})

    assert response.status_code == 404
    assert b"secret" not in response.content


def test_bobs_search_and_export_see_nothing_of_alice(two_accounts):
    bob, _ = two_accounts

    assert "alice-secret.pdf" not in bob.get("/documents", params={"q": "secret"}).text
    assert "alice-secret.pdf" not in bob.get("/documents.csv").text


@pytest.mark.parametrize(
    "path",
    [
        "/documents",
        "/documents.csv",
        "/messages",
        "/inbox",
        "/account",
        "/documents/x/download",
        "/documents/x/preview",
        "/documents/x/thumbnail",
        "/messages/x/body",
        "/messages/x/raw",
    ],
)
def test_pages_need_a_login(shared_service: Service, path: str):
    response = shared_service.client().get(path)

    assert response.status_code == 303
    # ...and after logging in, back to the page that was asked for
    expected = "/login" if path == "/documents" else "/login?" + urlencode({"next": path})
    assert response.headers["location"] == expected


def test_api_without_login_is_401(shared_service: Service):
    assert shared_service.client().get("/api/documents").status_code == 401
    response = shared_service.client().get("/api/v1/documents")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


def test_wrong_password_and_unknown_user_get_the_same_answer(shared_service: Service):
    shared_service.create_account("Wrong Ltd", "a@wrong.example", password="right password")
    client = shared_service.client()
    client.get("/login")
    token = client.cookies.get("inbox_login_csrf")

    def log_in(email: str):
        return client.post("/login", data={"email": email, "password": "nope", "csrf_token": token})

    wrong, unknown = log_in("a@wrong.example"), log_in("x@wrong.example")

    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password" in wrong.text and "Wrong e-mail or password" in unknown.text


def test_login_without_csrf_token_is_refused(shared_service: Service):
    shared_service.create_account("Csrf Ltd", "a@csrf.example", password="right password")

    response = shared_service.client().post(
        "/login", data={"email": "a@csrf.example", "password": "right password"}
    )

    assert response.status_code == 403
    assert "inbox_session" not in response.cookies


def test_session_cookie_is_httponly_and_samesite_lax(shared_service: Service):
    account = shared_service.create_account("Cookie Ltd", "a@cookie.example")
    client = shared_service.client()
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": client.cookies.get("inbox_login_csrf"),
        },
    )

    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("inbox_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_logout_ends_the_session(shared_service: Service):
    account = shared_service.create_account("Logout Ltd", "a@logout.example")
    client = shared_service.client(account)
    page = client.get("/documents")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]

    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    client.cookies.clear()
    assert client.get("/documents").status_code == 303


def test_a_bearer_token_reads_its_own_account_only(two_accounts, shared_service: Service):

    bob_client, alice_doc = two_accounts

    def token_of(account: str) -> str:
        created = shared_service.cli("token", "create", account)
        return created.stdout.strip()

    token, bob_token = token_of("alice@alice.example"), token_of("Bob AG")
    api = shared_service.client()

    mine = api.get("/api/documents", headers={"Authorization": f"Bearer {token}"})
    theirs = api.get(f"/api/documents/{alice_doc['id']}", headers={"Authorization": f"Bearer {bob_token}"})
    forged = api.get("/api/documents", headers={"Authorization": "Bearer iib_not-a-token"})

    assert [d["id"] for d in mine.json()["items"]] == [alice_doc["id"]]
    assert theirs.status_code == 404
    assert forged.status_code == 401
