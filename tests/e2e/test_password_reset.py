"""Password reset by mail through INBOX_RELAY_URL, against an SMTP sink of the test's own;
without a relay the page says it is off; `inbox user passwd` is the way back in then."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.backends import Backend
from tests.mailsink import MailSink
from tests.service import Service, inbox_cli, login, wait_for

# Pages, mail and the relay; the link's single use on both stores is in tests/storage/test_resets.py.
pytestmark = pytest.mark.store_agnostic

LINK = re.compile(r"(http://\S+/password/reset\?token=(\S+))")


def link_in(mail) -> tuple[str, str]:
    """The reset link in a mail, and its token."""
    found = LINK.search(mail.get_content())
    assert found is not None, mail.get_content()
    return found.group(1), found.group(2)


NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def sink() -> Iterator[MailSink]:
    server = MailSink().start()
    yield server
    server.stop()


def ask_for_link(client: httpx.Client, email: str) -> httpx.Response:
    form = client.get("/password/forgot")
    assert form.status_code == 200
    data = {"email": email, "csrf_token": client.cookies.get("inbox_login_csrf")}
    return client.post("/password/forgot", data=data)


def test_a_link_by_mail_sets_a_new_password_once_and_ends_the_other_sessions(
    backend: Backend, sink: MailSink
):
    service = Service(
        data_dir=backend.data_dir,
        env={**backend.env, "INBOX_RELAY_URL": sink.url, "INBOX_PUBLIC_URL": "http://inbox.test:8000"},
    ).start()
    try:
        account = service.create_account("Acme", "owner@acme.example")
        elsewhere = service.client(account)
        visitor = service.client()
        assert 'href="/password/forgot"' in visitor.get("/login").text

        known = ask_for_link(visitor, "Owner@Acme.example")
        unknown = ask_for_link(visitor, "nobody@acme.example")
        [mail] = wait_for(lambda: sink.to(account.email))
        link, token = link_in(mail)
        path = link.removeprefix("http://inbox.test:8000")
        form = visitor.get(path)
        short = visitor.post("/password/reset", data={"token": token, "new": "short", "repeat": "short"})
        changed = visitor.post(
            "/password/reset", data={"token": token, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        )
        again = visitor.post(
            "/password/reset", data={"token": token, "new": "another one!!", "repeat": "another one!!"}
        )
        forged = visitor.post(
            "/password/reset", data={"token": token[:-2], "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        )
        other_session = elsewhere.get("/documents")
        login(service.client(), account.email, NEW_PASSWORD)
    finally:
        service.stop()

    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text  # the answer does not tell whether the address has an account
    assert "If an account uses this address" in known.text
    assert len(sink.mails) == 1 and mail["Subject"] == "Reset your invoice-inbox password"
    assert link.startswith("http://inbox.test:8000/password/reset?token=")  # INBOX_PUBLIC_URL, not Host
    assert form.status_code == 200 and 'name="new"' in form.text
    assert short.status_code == 400
    assert changed.status_code == 303 and changed.headers["location"] == "/login?done=reset"
    assert again.status_code == forged.status_code == 400  # single use; a wrong token is no token
    assert "This link does not work" in again.text
    assert other_session.status_code == 303  # the other sessions ended
    log = service.log()
    assert token not in log and NEW_PASSWORD not in log and account.password not in log
    assert "password reset mail handed to the relay" in log


def test_a_link_expires(backend: Backend, sink: MailSink):
    service = Service(data_dir=backend.data_dir, env={**backend.env, "INBOX_RELAY_URL": sink.url}).start()
    try:
        account = service.create_account("Acme", "owner@acme.example")
        visitor = service.client()
        ask_for_link(visitor, account.email)
        [mail] = wait_for(lambda: sink.to(account.email))
        _, token = link_in(mail)
        backend.execute("UPDATE passwordreset SET expires_at = created_at")  # an hour later
        expired = visitor.post(
            "/password/reset", data={"token": token, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        )
        login(service.client(), account.email, account.password)  # the old password still works
    finally:
        service.stop()

    assert expired.status_code == 400


def test_with_the_relay_down_the_answer_stays_polite_and_the_log_keeps_no_token(backend: Backend):
    closed = MailSink()  # a port nobody listens on
    service = Service(data_dir=backend.data_dir, env={**backend.env, "INBOX_RELAY_URL": closed.url}).start()
    try:
        account = service.create_account("Acme", "owner@acme.example")
        answer = ask_for_link(service.client(), account.email)
        wait_for(lambda: "password reset mail could not be sent" in service.log())
    finally:
        service.stop()

    assert answer.status_code == 200 and "If an account uses this address" in answer.text
    log = service.log()
    assert "ConnectionRefusedError" in log
    assert "token=" not in log and "/password/reset" not in log and account.password not in log


def test_without_a_relay_the_page_says_reset_by_mail_is_off_and_the_command_works(service: Service):
    account = service.create_account("Acme", "owner@acme.example")
    elsewhere = service.client(account)
    visitor = service.client()

    page = visitor.get("/password/forgot")
    asked = visitor.post(
        "/password/forgot",
        data={"email": account.email, "csrf_token": visitor.cookies.get("inbox_login_csrf")},
    )
    result = inbox_cli(
        service.data_dir,
        "user",
        "passwd",
        account.email,
        "--password-stdin",
        stdin=NEW_PASSWORD + "\n",
        env=service.env,
    )
    unknown = inbox_cli(service.data_dir, "user", "passwd", "nobody@acme.example", env=service.env)

    assert page.status_code == 200 and "Reset by mail is off" in page.text
    assert "inbox user passwd EMAIL" in page.text
    assert '<a href="/login">' in page.text  # the way back, since this page is a dead end
    assert asked.status_code == 503 and "Reset by mail is off" in asked.text
    assert result.returncode == 0, result.stderr
    assert NEW_PASSWORD not in result.stdout
    assert elsewhere.get("/documents").status_code == 303  # its sessions ended
    login(service.client(), account.email, NEW_PASSWORD)
    assert unknown.returncode == 2 and "no user with e-mail 'nobody@acme.example'" in unknown.stderr


def test_the_relay_is_reached_over_starttls_with_its_password(backend: Backend, tmp_path: Path):
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    sink = MailSink(tls_context=context, login=("relay-user", "relay s3cret")).start()
    env = {
        **backend.env,
        "INBOX_RELAY_URL": f"smtp://relay-user:relay%20s3cret@127.0.0.1:{sink.port}",
        "SSL_CERT_FILE": str(tmp_path / "ca.pem"),  # the relay's certificate is checked
    }
    service = Service(data_dir=backend.data_dir, env=env).start()
    try:
        account = service.create_account("Acme", "owner@acme.example")
        ask_for_link(service.client(), account.email)
        wait_for(lambda: sink.to(account.email))
    finally:
        service.stop()
        sink.stop()

    assert sink.sessions == [(True, True)]
    assert "s3cret" not in service.log()
