"""Starting `inbox serve`: taken ports, the schema of another database, and what goes to the log."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import make_mail, make_pdf
from tests.e2e.test_core import send
from tests.service import Service, free_port, inbox_cli, wait_for


def serve(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inbox", "serve", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,  # the bug was a hang: a timeout here fails the test
        env=os.environ,
    )


@pytest.mark.parametrize(
    ("flag", "setting"), [("--smtp-port", "INBOX_SMTP_PORT"), ("--web-port", "INBOX_WEB_PORT")]
)
def test_a_taken_port_stops_the_start_with_one_line_before_anything_is_created(
    tmp_path: Path, flag: str, setting: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"--smtp-port": str(free_port()), "--web-port": str(free_port()), flag: str(port)}
        result = serve(tmp_path / "data", *(item for pair in ports.items() for item in pair))

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f":{port}" in line and setting in line and flag in line
    assert not (tmp_path / "data" / "first-account.txt").exists()
    assert not (tmp_path / "data" / "inbox.db").exists()


def test_another_database_behind_on_its_schema_is_refused_naming_inbox_migrate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    ports = ("--smtp-port", str(free_port()), "--web-port", str(free_port()))

    refused = serve(tmp_path / "data", "--database-url", url, *ports)

    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert "inbox migrate" in line and "INBOX_DATABASE_URL" in line
    migrated = inbox_cli(tmp_path / "data", "migrate", env={"INBOX_DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    created = inbox_cli(
        tmp_path / "data", "account", "create", "B", "--email", "b@b.example", "--database-url", url
    )
    assert created.returncode == 0, created.stderr


def test_inbox_addresses_never_reach_the_log(tmp_path: Path) -> None:
    service = Service(data_dir=tmp_path / "data").start()
    account = service.create_account("Secret AG", "s@secret.example")
    first_account = (tmp_path / "data" / "first-account.txt").read_text()
    mail = make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])
    assert send(service, mail) == {}
    assert send(service, mail, sender="stranger@else.example", rcpts=[account.inbox_address]) == {}
    wait_for(lambda: "processed id=" in service.log())
    service.stop()
    restarted = Service(data_dir=tmp_path / "data").start()  # every start used to list the inboxes
    restarted.stop()

    output = "".join(service.startup_output + restarted.startup_output) + restarted.log()
    secrets = [account.inbox_address.split("@")[0], first_account.split("Inbox address: ")[1].split("@")[0]]
    assert account.id in output  # accounts are named by id instead
    for secret in secrets:
        assert secret not in output.lower()
