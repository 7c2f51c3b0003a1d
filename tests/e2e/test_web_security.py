"""Names from mail are data; every state-changing form needs its CSRF token; logins are limited."""

from __future__ import annotations

import smtplib

import pytest

from tests.builders import make_mail, make_pdf
from tests.service import Service, login, wait_for
from tests.web.samples import send

# Logins, CSRF and escaping in the web layer: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def test_markup_in_filename_subject_and_sender_is_shown_as_text(service: Service):
    account = service.create_account("Acme", "a@acme.example")
    mail = make_mail(
        to=account.inbox_address,
        sender=f'"{XSS}" <evil@evil.example>',
        subject=f"Invoice {XSS}",
        html=f"<p>Hello</p>{XSS}<a href='javascript:alert(3)'>x</a><img src='https://t.example/p.gif'>",
        attachments=[(f"{XSS}.pdf", make_pdf(), "application/pdf")],
    )
    send(service, mail, sender="evil@evil.example")
    client = service.client(account)
    (doc,) = wait_for(lambda: client.get("/api/documents").json()["items"])

    pages = [
        client.get("/documents").text,
        client.get("/documents", params={"q": "invoice"}).text,
        client.get(f"/documents/{doc['id']}").text,
        client.get("/messages").text,
        client.get(f"/messages/{doc['message']}").text,
    ]
    body = client.get(f"/messages/{doc['message']}/body")

    for html in pages:
        assert "<script>alert(2)" not in html and '<img src=x onerror="alert(1)">' not in html
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<script" not in body.text and "onerror" not in body.text
    assert "javascript:" not in body.text and "t.example" not in body.text
    assert "sandbox" in body.headers["content-security-policy"]
    disposition = client.get(f"/documents/{doc['id']}/download").headers["content-disposition"]
    assert "<" not in disposition.split("filename*=")[0] and '"' not in disposition.split('"')[1]


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/logout", {}),
        ("/documents/zip", {"id": "x"}),
        ("/inbox/regenerate", {"confirm": "yes"}),
        ("/inbox/senders", {"senders": "a@b.example"}),
        ("/account/password", {"current": "x", "new": "y" * 12, "repeat": "y" * 12}),
    ],
)
def test_forms_without_or_with_a_wrong_csrf_token_are_refused(service: Service, path, fields):
    account = service.create_account("Acme", "a@acme.example")
    client = service.client(account)

    missing = client.post(path, data=fields)
    wrong = client.post(path, data={**fields, "csrf_token": "forged"})

    assert missing.status_code == wrong.status_code == 403
    assert account.inbox_address in client.get("/inbox").text  # nothing changed


def test_allowed_senders_refuse_others_and_the_refusal_is_in_the_mail_log(service: Service):
    account = service.create_account("Acme", "a@acme.example")
    client = service.client(account)
    csrf = client.get("/inbox").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/inbox/senders", data={"csrf_token": csrf, "senders": "@good.example"})

    # Refused after DATA: the header From could still be on the list, if DMARC vouched for it.
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(service, make_mail(to=account.inbox_address), sender="spam@bad.example")
    assert refused.value.smtp_code == 550
    assert b"5.7.1" in refused.value.smtp_error
    assert send(service, make_mail(to=account.inbox_address), sender="x@good.example") == {}
    log = client.get("/messages").text
    assert "Refused senders" in log and "spam@bad.example" in log


def test_password_change_needs_the_current_one_and_logs_out_other_sessions(service: Service):
    account = service.create_account("Acme", "a@acme.example")
    me, other = service.client(account), service.client(account)
    csrf = me.get("/account").text.split('name="csrf_token" value="')[1].split('"')[0]
    new = "a new long passphrase"

    wrong = me.post(
        "/account/password",
        data={"csrf_token": csrf, "current": "nope", "new": new, "repeat": new},
    )
    changed = me.post(
        "/account/password",
        data={"csrf_token": csrf, "current": account.password, "new": new, "repeat": new},
    )

    assert wrong.status_code == 400
    assert changed.status_code == 303
    assert me.get("/documents").status_code == 200  # this session continues
    assert other.get("/documents").status_code == 303  # the others are logged out
    login(service.client(), account.email, new)


def test_logins_are_limited_per_email_the_same_for_unknown_addresses(service: Service):
    account = service.create_account("Acme", "a@acme.example")
    client = service.client()
    client.get("/login")
    token = client.cookies.get("inbox_login_csrf")

    def attempt(email: str, password: str) -> int:
        data = {"email": email, "password": password, "csrf_token": token}
        return client.post("/login", data=data).status_code

    known = [attempt(account.email, "wrong") for _ in range(11)]
    unknown = [attempt("nobody@acme.example", "wrong") for _ in range(11)]

    assert known == unknown == [401] * 10 + [429]
    assert attempt(account.email, account.password) == 429  # from this address; a known browser gets in
