"""`inbox serve --roles`: each role in a process of its own, sharing the database and blob store."""

from __future__ import annotations

import socket

import pytest

from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.e2e.test_core import send
from tests.service import Service, inbox_cli, wait_for


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_smtp_worker_and_web_as_three_processes(backend: Backend, tmp_path) -> None:
    env = dict(backend.env)
    if backend.name == "sqlite":  # one data dir shared by the three, as one machine would
        env["INBOX_DATA_DIR"] = str(backend.data_dir)
    else:
        assert inbox_cli(tmp_path / "admin", "migrate", env=env).returncode == 0
    data = backend.data_dir if backend.name == "sqlite" else None
    web = Service(data or tmp_path / "web", env=env, roles="web").start()
    smtp = Service(data or tmp_path / "smtp", env=env, roles="smtp").start()
    try:
        assert web.smtp_port == 0 and smtp.web_url == ""  # each listens only for its role
        assert "roles=web" in "".join(web.startup_output)
        account = web.create_account("Acme", "a@acme.example")
        pdf = make_pdf(["INVOICE", "Invoice No. RL-1"])
        mail = make_mail(to=account.inbox_address, attachments=[("rl-1.pdf", pdf, "application/pdf")])
        assert send(smtp, mail) == {}
        reader = web.client(account)
        assert [m["status"] for m in reader.get("/api/messages").json()["items"]] == ["received"]

        worker = Service(data or tmp_path / "worker", env=env, roles="worker").start()
        try:

            def listed():
                return reader.get("/api/documents").json()["items"]

            (document,) = wait_for(listed, timeout=60)
            assert reader.get(f"/documents/{document['id']}/download").content == pdf
        finally:
            assert worker.stop() == 0
    finally:
        assert smtp.stop() == 0
        assert web.stop() == 0


@pytest.mark.parametrize("roles", ["smtp,mail", "", " , "])
def test_an_unknown_role_stops_the_start_naming_the_setting(tmp_path, roles) -> None:
    result = inbox_cli(tmp_path / "data", "serve", "--roles", roles, "--smtp-port", "0", "--web-port", "0")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line
    assert "INBOX_ROLES" in result.stderr and "Traceback" not in result.stderr
