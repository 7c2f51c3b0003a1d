"""The Zapier app in integrations/zapier, run by its own node test (zapier-platform-core's app
tester: the code path Zapier runs) against `inbox serve` on loopback: connection test, REST
hook subscribe → a mailed invoice (and a mail that fails) → the trigger's item, unsubscribe,
upload and supplier actions, search, polling. `make test` installs the app's npm packages (`make zapier`)."""

from __future__ import annotations

import email.policy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.builders import make_mail, make_pdf, make_slow_pdf
from tests.e2e.test_integrations import HOOK_ENV
from tests.service import Service, inbox_cli

APP = Path(__file__).resolve().parents[2] / "integrations" / "zapier"


def node_or_skip() -> str:
    """The node binary, once the app's packages are installed; else skip (fail under make test)."""
    node = shutil.which("node")
    missing = (
        "node is not installed"
        if node is None
        else "the app's npm packages are missing (make zapier)"
        if not (APP / "node_modules" / "zapier-platform-core").is_dir()
        else None
    )
    if missing:
        if os.environ.get("INBOX_TEST_REQUIRE_BACKENDS"):
            pytest.fail(f"{missing} (INBOX_TEST_REQUIRE_BACKENDS is set)")
        pytest.skip(missing)
    assert node is not None
    return node


def invoice_pdf(number: str) -> bytes:
    return make_pdf(["INVOICE", "Northwind GmbH", f"Invoice No. {number}", "Total: 119.00 EUR"])


def test_the_zapier_app_connects_triggers_and_acts_against_a_live_server(tmp_path):
    node = node_or_skip()
    # A mail whose only PDF takes longer than its budget fails: the Failed Mail trigger's event.
    service = Service(data_dir=tmp_path / "data", env=HOOK_ENV | {"INBOX_PARSE_TIMEOUT": "4"}).start()
    try:
        account = service.create_account("Northwind Buyer", "owner@buyer.example")
        made = inbox_cli(service.data_dir, "token", "create", account.email, "--name", "Zapier", "--json")
        assert made.returncode == 0, made.stderr
        mail = make_mail(
            to=account.inbox_address,
            sender="Northwind Billing <billing@northwind.example>",
            subject="Invoice NW-2026-042",
            attachments=[("NW-2026-042.pdf", invoice_pdf("NW-2026-042"), "application/pdf")],
        )
        (tmp_path / "mail.eml").write_bytes(mail.as_bytes(policy=email.policy.SMTP))
        failing = make_mail(
            to=account.inbox_address,
            sender="Northwind Billing <billing@northwind.example>",
            subject="Invoice NW-2026-043",
            attachments=[("slow.pdf", make_slow_pdf(pages=20), "application/pdf")],
        )
        (tmp_path / "failing.eml").write_bytes(failing.as_bytes(policy=email.policy.SMTP))
        (tmp_path / "upload.pdf").write_bytes(invoice_pdf("NW-2026-050"))

        run = subprocess.run(
            [node, "--test", "test/app.test.js"],
            cwd=APP,
            capture_output=True,
            text=True,
            timeout=240,
            env={
                **os.environ,
                "NODE_ENV": "test",  # quiets the platform's memory log
                "LOGGING_TOKEN": "",  # the platform's log shipping stays off: nothing leaves loopback
                "INBOX_BASE_URL": service.web_url,
                "INBOX_TOKEN": json.loads(made.stdout)["token"],
                "INBOX_ADDRESS": account.inbox_address,
                "INBOX_SMTP_PORT": str(service.smtp_port),
                "INBOX_TEST_MAIL": str(tmp_path / "mail.eml"),
                "INBOX_TEST_FAILING_MAIL": str(tmp_path / "failing.eml"),
                "INBOX_TEST_PDF": str(tmp_path / "upload.pdf"),
            },
        )
    finally:
        service.stop()

    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "# SKIP" not in run.stdout and "# fail 0" in run.stdout, run.stdout[-3000:]
