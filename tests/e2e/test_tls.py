"""STARTTLS on a running `inbox serve`: Python's ssl and swaks against certificates made here."""

from __future__ import annotations

import shutil
import signal
import smtplib
import ssl
import subprocess
from pathlib import Path

import pytest
import trustme

from inbox import replies
from tests.builders import make_mail, make_pdf
from tests.service import Service, inbox_cli, wait_for

# STARTTLS and certificates: the store is not what is tested here.
pytestmark = pytest.mark.store_agnostic


def issue(ca: trustme.CA, directory: Path) -> dict[str, str]:
    """A server certificate for loopback, written where INBOX_TLS_CERT/KEY point."""
    directory.mkdir(parents=True, exist_ok=True)
    server = ca.issue_cert("127.0.0.1", "inbox.localhost")
    server.private_key_and_cert_chain_pem.write_to_path(str(directory / "server.pem"))
    server.private_key_pem.write_to_path(str(directory / "server.key"))
    return {"INBOX_TLS_CERT": str(directory / "server.pem"), "INBOX_TLS_KEY": str(directory / "server.key")}


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_service(tmp_path: Path, ca: trustme.CA):
    svc = Service(data_dir=tmp_path / "data", env=issue(ca, tmp_path / "tls")).start()
    yield svc
    svc.stop()


def invoice_mail(to: str) -> str:
    return make_mail(
        to=to, attachments=[("invoice.pdf", make_pdf(["Invoice INV-7"]), "application/pdf")]
    ).as_string()


def test_starttls_with_python_ssl_delivers_over_tls_1_2_or_newer(tls_service: Service, ca: trustme.CA):
    account = tls_service.create_account("Acme", "owner@acme.example")

    with smtplib.SMTP("127.0.0.1", tls_service.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        assert client.has_extn("starttls")
        client.starttls(context=trusting(ca))
        assert isinstance(client.sock, ssl.SSLSocket)
        version = client.sock.version()
        client.ehlo("client.example")
        refused = client.sendmail(
            "billing@supplier.example", [account.inbox_address], invoice_mail(account.inbox_address)
        )

    assert refused == {}
    assert version in ("TLSv1.2", "TLSv1.3")


def test_a_client_that_does_not_trust_the_certificate_cannot_complete_starttls(tls_service: Service):
    with smtplib.SMTP("127.0.0.1", tls_service.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())


def test_swaks_tls_delivers(tls_service: Service, ca: trustme.CA, tmp_path: Path):
    if shutil.which("swaks") is None:
        pytest.skip("swaks is not installed (make test installs it)")
    account = tls_service.create_account("Acme", "owner@acme.example")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))

    result = subprocess.run(
        [
            "swaks",
            "--server", f"127.0.0.1:{tls_service.smtp_port}",
            "--to", account.inbox_address,
            "--from", "billing@supplier.example",
            "--tls",
            "--tls-verify",
            "--tls-ca-path", str(tmp_path / "ca.pem"),
            "--attach", "-",
            "--attach-type", "application/pdf",
        ],
        input=make_pdf(["Invoice INV-8"]),
        capture_output=True,
        timeout=60,
    )  # fmt: skip

    transcript = result.stdout.decode(errors="replace")
    assert result.returncode == 0, transcript + result.stderr.decode(errors="replace")
    assert "TLS started" in transcript
    assert "<~  250 2.0.0 Ok: queued as" in transcript


def test_require_tls_refuses_mail_before_starttls(tmp_path: Path, ca: trustme.CA):
    env = {**issue(ca, tmp_path / "tls"), "INBOX_REQUIRE_TLS": "true"}
    svc = Service(data_dir=tmp_path / "data", env=env).start()
    try:
        account = svc.create_account("Acme", "owner@acme.example")
        with smtplib.SMTP("127.0.0.1", svc.smtp_port, timeout=30) as client:
            client.ehlo("client.example")
            plain = client.mail("billing@supplier.example")
            client.starttls(context=trusting(ca))
            client.ehlo("client.example")
            refused = client.sendmail(
                "billing@supplier.example", [account.inbox_address], invoice_mail(account.inbox_address)
            )
    finally:
        svc.stop()

    assert plain == (530, replies.TLS_REQUIRED.split(" ", 1)[1].encode())
    assert refused == {}


def test_sighup_reloads_the_certificate_for_new_sessions(tmp_path: Path, ca: trustme.CA):
    env = issue(ca, tmp_path / "tls")
    svc = Service(data_dir=tmp_path / "data", env=env).start()
    try:
        renewed_ca = trustme.CA()
        issue(renewed_ca, tmp_path / "tls")  # the renewal overwrites the files in place
        assert handshake_ok(svc, ca)  # nothing read until SIGHUP
        svc.send_signal(signal.SIGHUP)
        wait_for(lambda: "TLS certificate reloaded" in svc.log(), timeout=10)

        assert handshake_ok(svc, renewed_ca)
        assert not handshake_ok(svc, ca)
    finally:
        assert svc.stop() == 0


def test_a_broken_renewal_keeps_the_previous_certificate(tmp_path: Path, ca: trustme.CA):
    env = issue(ca, tmp_path / "tls")
    svc = Service(data_dir=tmp_path / "data", env=env).start()
    try:
        Path(env["INBOX_TLS_KEY"]).write_text("half-written\n")
        svc.send_signal(signal.SIGHUP)
        wait_for(lambda: "TLS certificate not reloaded" in svc.log(), timeout=10)

        assert handshake_ok(svc, ca)
    finally:
        assert svc.stop() == 0


def handshake_ok(svc: Service, ca: trustme.CA) -> bool:
    with smtplib.SMTP("127.0.0.1", svc.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        try:
            client.starttls(context=trusting(ca))
        except ssl.SSLError:
            return False
        return client.noop()[0] == 250


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"INBOX_TLS_CERT": "{dir}/server.pem"}, "INBOX_TLS_KEY"),
        ({"INBOX_REQUIRE_TLS": "true"}, "INBOX_REQUIRE_TLS"),
        ({"INBOX_TLS_CERT": "{dir}/missing.pem", "INBOX_TLS_KEY": "{dir}/server.key"}, "INBOX_TLS_CERT"),
        ({"INBOX_TLS_CERT": "{dir}/server.key", "INBOX_TLS_KEY": "{dir}/server.key"}, "INBOX_TLS_CERT"),
    ],
)
def test_bad_tls_settings_stop_the_start_with_the_setting_named(tmp_path: Path, ca: trustme.CA, env, named):
    issue(ca, tmp_path / "tls")
    env = {key: value.format(dir=tmp_path / "tls") for key, value in env.items()}

    result = inbox_cli(tmp_path / "data", "serve", "--smtp-port", "0", "--web-port", "0", env=env)

    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
