"""The integration API over real HTTP against `inbox serve`: tokens and scopes, uploads,
suppliers, REST hooks delivered to real receivers on loopback, quotas over SMTP and HTTP."""

from __future__ import annotations

import hashlib
import json
import smtplib

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks.webhooks import Webhook

from inbox import replies
from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.e2e.test_core import send
from tests.receivers import Receiver, fails_first
from tests.service import Account, Service, inbox_cli, wait_for

HOOK_ENV = {
    "INBOX_HOOK_ALLOW_PRIVATE": "true",  # the receivers are on loopback
    "INBOX_HOOK_RETRY_SCHEDULE": "0.3s,0.3s,0.3s",
    "INBOX_HOOK_TIMEOUT": "1.5",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    service = Service(data_dir=tmp_path_factory.mktemp("integrations") / "data", env=HOOK_ENV).start()
    yield service
    service.stop()


def new_account(service: Service, name: str) -> Account:
    return service.create_account(name, f"{name.lower()}@{name.lower()}.example")


def token(service: Service, account: Account, *scopes: str) -> dict:
    args = [arg for scope in scopes for arg in ("--scope", scope)]
    result = inbox_cli(
        service.data_dir,
        "token",
        "create",
        account.email,
        "--name",
        "Zapier",
        *args,
        "--json",
        env=service.env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def api(service: Service, account: Account, *scopes: str) -> httpx.Client:
    client = service.client()
    client.headers["Authorization"] = f"Bearer {token(service, account, *scopes)['token']}"
    return client


def invoice_mail(account: Account, number: str = "INV-1", sender: str = "Billing <billing@supplier.example>"):
    pdf = make_pdf(["INVOICE", f"Invoice No. {number}", "Total: 119.00 EUR"])
    attachments = [(f"{number}.pdf", pdf, "application/pdf")]
    return make_mail(to=account.inbox_address, sender=sender, attachments=attachments), pdf


def upload(client: httpx.Client, name: str, data: bytes, **params) -> httpx.Response:
    return client.post("/api/v1/documents", files={"file": (name, data, "application/pdf")}, params=params)


def test_a_token_connects_names_its_account_and_is_refused_once_revoked(served: Service):
    account = new_account(served, "Connect")
    made = token(served, account, "documents:read")
    client = served.client()
    client.headers["Authorization"] = f"Bearer {made['token']}"

    me = client.get("/api/v1/me")

    assert me.status_code == 200, me.text
    assert me.json() == {
        "account": {"id": account.id, "name": "Connect", "inbox_address": account.inbox_address},
        "token": {"id": made["id"], "name": "Zapier", "scopes": ["documents:read"]},
    }
    listed = inbox_cli(served.data_dir, "token", "list", account.email, "--json")
    assert [(t["id"], t["last_used_at"] is not None) for t in json.loads(listed.stdout)] == [
        (made["id"], True)
    ]
    assert inbox_cli(served.data_dir, "token", "revoke", made["id"]).returncode == 0
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert json.loads(inbox_cli(served.data_dir, "token", "list", account.email, "--json").stdout) == []


def test_a_token_without_the_scope_gets_403_naming_it(served: Service):
    account = new_account(served, "Scoped")
    reader = api(served, account, "documents:read")

    for response in (
        reader.post("/api/v1/hooks", json={"event": "document.created", "target_url": "http://127.0.0.1:9/"}),
        upload(reader, "a.pdf", make_pdf(["x"])),
        reader.post("/api/v1/suppliers", json={"name": "ACME"}),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert "hooks" in reader.get("/api/v1/hooks").json()["error"]["message"]
    assert "documents:write" in upload(reader, "a.pdf", b"%PDF-").json()["error"]["message"]
    assert reader.get("/api/v1/documents").status_code == 200


def test_a_mailed_invoice_is_delivered_signed_and_its_pdf_downloaded(served: Service):
    account = new_account(served, "Hooked")
    client = api(served, account)
    receiver = Receiver().start()
    try:
        hook = client.post("/api/v1/hooks", json={"event": "document.created", "target_url": receiver.url})
        assert hook.status_code == 201, hook.text
        assert set(hook.json()) == {"id", "event", "target_url", "secret", "created_at"}
        assert hook.json()["secret"].startswith("whsec_")
        mail, pdf = invoice_mail(account, "HOOK-1")

        assert send(served, mail) == {}
        wait_for(lambda: receiver.received, timeout=30)
    finally:
        receiver.stop()

    got = receiver.received[0]
    verified = Webhook(hook.json()["secret"]).verify(
        got.body, got.headers
    )  # raises when the signature is wrong
    assert verified["type"] == "document.created"
    document = verified["data"]
    assert document == client.get(f"/api/v1/documents/{document['id']}").json()
    download = client.get(f"/api/v1/documents/{document['id']}/download")
    assert download.status_code == 200
    assert (
        hashlib.sha256(download.content).hexdigest() == document["sha256"] == hashlib.sha256(pdf).hexdigest()
    )
    assert got.headers["webhook-id"].startswith("msg_")
    sample = client.get("/api/v1/hooks/sample", params={"event": "document.created"})
    assert sample.json()["items"] == [json.loads(got.body)]  # exactly the delivery's shape


def test_a_failing_target_is_retried_with_the_same_webhook_id_and_every_attempt_logged(served: Service):
    account = new_account(served, "Retried")
    client = api(served, account)
    receiver = Receiver(answer=fails_first(2)).start()
    before = deliveries_counted(served)
    try:
        hook = client.post(
            "/api/v1/hooks", json={"event": "document.created", "target_url": receiver.url}
        ).json()
        uploaded = upload(client, "r.pdf", make_pdf(["INVOICE R-1"]))
        assert uploaded.status_code == 201, uploaded.text
        wait_for(lambda: len(receiver.received) >= 3, timeout=30)
    finally:
        receiver.stop()

    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    attempts = wait_for(
        lambda: (
            [a for a in client.get(f"/api/v1/hooks/{hook['id']}/deliveries").json()["items"]]
            if len(client.get(f"/api/v1/hooks/{hook['id']}/deliveries").json()["items"]) == 3
            else None
        )
    )
    assert [a["status_code"] for a in attempts] == [200, 500, 500]  # newest first
    assert attempts[0]["next_retry_at"] is None and attempts[1]["next_retry_at"] is not None
    assert attempts[0]["state"] == "delivered"
    after = deliveries_counted(served)  # other tests' deliveries may add to these, never take
    assert after["retrying"] >= before["retrying"] + 2 and after["delivered"] >= before["delivered"] + 1


def deliveries_counted(service: Service) -> dict[str, float]:
    """inbox_webhook_deliveries_total by outcome, from GET /metrics."""
    counted = {"delivered": 0.0, "retrying": 0.0}
    for family in text_string_to_metric_families(service.client().get("/metrics").text):
        for sample in family.samples:
            if sample.name == "inbox_webhook_deliveries_total":
                counted[sample.labels["outcome"]] = sample.value
    return counted


def test_a_target_answering_410_loses_its_subscription(served: Service):
    account = new_account(served, "Gone")
    client = api(served, account)
    receiver = Receiver(answer=lambda n: 410).start()
    try:
        client.post("/api/v1/hooks", json={"event": "document.created", "target_url": receiver.url})
        assert upload(client, "g.pdf", make_pdf(["INVOICE G-1"])).status_code == 201
        wait_for(lambda: client.get("/api/v1/hooks").json()["items"] == [], timeout=30)
    finally:
        receiver.stop()
    assert len(receiver.received) == 1


def test_a_slow_target_times_out_and_the_attempt_says_so(served: Service):
    account = new_account(served, "Slow")
    client = api(served, account)
    receiver = Receiver(delay=3).start()
    try:
        hook = client.post(
            "/api/v1/hooks", json={"event": "document.created", "target_url": receiver.url}
        ).json()
        assert upload(client, "s.pdf", make_pdf(["INVOICE S-1"])).status_code == 201
        attempts = wait_for(
            lambda: client.get(f"/api/v1/hooks/{hook['id']}/deliveries").json()["items"], timeout=30
        )
    finally:
        receiver.stop()
    assert attempts[-1]["status_code"] is None
    assert attempts[-1]["error"] == "no answer within 1.5 s"


def test_upload_answers_201_with_the_message_and_its_documents(served: Service):
    account = new_account(served, "Uploader")
    client = api(served, account)
    pdf = make_pdf(["INVOICE", "Invoice No. UP-7", "Total: 10.00 EUR"])

    response = upload(client, "../../etc/UP-7.pdf", pdf)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"]["source"] == "upload" and body["message"]["status"] == "processed"
    [document] = body["documents"]
    assert document["filename"] == "UP-7.pdf"  # a name, never a path
    assert document["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert client.get("/api/v1/documents").json()["items"][0]["id"] == document["id"]


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        (None, 400, "no_file"),
        ({"file": ("e.pdf", b"", "application/pdf")}, 400, "empty_file"),
        ({"file": ("notes.txt", b"just some words, no invoice", "text/plain")}, 415, "not_a_document"),
    ],
)
def test_bad_uploads_get_a_4xx_naming_the_problem(served: Service, files, status, code):
    client = api(served, new_account(served, f"Bad{code.replace('_', '')}"))

    response = client.post("/api/v1/documents", files=files, data=None if files else {"other": "x"})

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_since_lists_only_newer_documents_and_delete_moves_to_the_trash(served: Service):
    client = api(served, new_account(served, "Poller"))
    first = upload(client, "1.pdf", make_pdf(["INVOICE P-1"])).json()["documents"][0]
    second = upload(client, "2.pdf", make_pdf(["INVOICE P-2"])).json()["documents"][0]

    newer = client.get("/api/v1/documents", params={"since": first["received_at"]}).json()["items"]
    assert [d["id"] for d in newer] == [second["id"]]
    assert client.get("/api/v1/documents", params={"since": "yesterday"}).status_code == 400

    assert client.delete(f"/api/v1/documents/{second['id']}").status_code == 204
    assert client.get(f"/api/v1/documents/{second['id']}").status_code == 404
    assert [d["id"] for d in client.get("/api/v1/documents").json()["items"]] == [first["id"]]


def test_suppliers_are_created_or_updated_and_match_documents_by_sender(served: Service):
    account = new_account(served, "Buyer")
    client = api(served, account)
    made = client.post(
        "/api/v1/suppliers",
        json={"name": "Acme", "emails": ["billing@acme.example"], "vat_id": "DE 123 456 789"},
    )
    assert made.status_code == 201, made.text
    updated = client.post("/api/v1/suppliers", json={"name": "Acme GmbH", "vat_id": "DE123456789"})
    assert updated.status_code == 200
    assert updated.json()["id"] == made.json()["id"] and updated.json()["name"] == "Acme GmbH"
    again = client.post("/api/v1/suppliers", json={"name": "Acme AG", "emails": ["Billing@Acme.example"]})
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]

    mail, _ = invoice_mail(account, "SUP-1", sender="Acme Billing <billing@acme.example>")
    assert send(served, mail) == {}
    other, _ = invoice_mail(account, "SUP-2", sender="someone@else.example")
    assert send(served, other) == {}
    wait_for(lambda: len(client.get("/api/v1/documents").json()["items"]) == 2)

    supplier_id = made.json()["id"]
    of_supplier = client.get("/api/v1/documents", params={"supplier_id": supplier_id}).json()["items"]
    assert [d["supplier_id"] for d in of_supplier] == [supplier_id]
    assert client.get(f"/api/v1/suppliers/{supplier_id}").json()["name"] == "Acme AG"
    assert [s["id"] for s in client.get("/api/v1/suppliers").json()["items"]] == [supplier_id]


def test_quota_refuses_mail_at_rcpt_and_uploads_and_suppliers_with_429(served: Service):
    account = new_account(served, "Quota")
    client = api(served, account)
    plan = inbox_cli(
        served.data_dir,
        "account",
        "set-plan",
        account.email,
        "--documents-per-month",
        "1",
        "--suppliers",
        "0",
    )
    assert plan.returncode == 0, plan.stderr
    assert upload(client, "q.pdf", make_pdf(["INVOICE Q-1"])).status_code == 201

    over = upload(client, "q2.pdf", make_pdf(["INVOICE Q-2"]))
    assert over.status_code == 429 and over.json()["error"]["code"] == "quota_exceeded"
    assert int(over.headers["Retry-After"]) > 0
    supplier = client.post("/api/v1/suppliers", json={"name": "Too many"})
    assert supplier.status_code == 429 and "Retry-After" in supplier.headers
    mail, _ = invoice_mail(account, "Q-3")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(served, mail)
    assert refused.value.recipients[account.inbox_address] == (452, replies.QUOTA_EXCEEDED[4:].encode())
    assert client.get("/api/v1/usage").json() == {
        "documents_this_month": 1,
        "documents_per_month": 1,
        "storage_bytes": upload_size(client),
        "storage_limit_bytes": None,
        "suppliers": 0,
        "suppliers_limit": 0,
    }


def upload_size(client: httpx.Client) -> int:
    return sum(d["size"] for d in client.get("/api/v1/documents").json()["items"])


def test_every_new_route_answers_404_for_another_accounts_ids(served: Service):
    owner = api(served, new_account(served, "Owner"))
    outsider = api(served, new_account(served, "Outsider"))
    receiver = Receiver().start()
    try:
        hook = owner.post(
            "/api/v1/hooks", json={"event": "message.failed", "target_url": receiver.url}
        ).json()
    finally:
        receiver.stop()
    supplier = owner.post("/api/v1/suppliers", json={"name": "Mine"}).json()
    document = upload(owner, "o.pdf", make_pdf(["INVOICE O-1"])).json()["documents"][0]

    for response in (
        outsider.get(f"/api/v1/hooks/{hook['id']}/deliveries"),
        outsider.delete(f"/api/v1/hooks/{hook['id']}"),
        outsider.get(f"/api/v1/suppliers/{supplier['id']}"),
        outsider.delete(f"/api/v1/documents/{document['id']}"),
        outsider.post("/api/v1/hooks/deliveries/0123456789abcdef0123/retry"),
    ):
        assert response.status_code == 404, response.request.url
    assert outsider.get("/api/v1/hooks").json()["items"] == []
    assert outsider.get("/api/v1/suppliers").json()["items"] == []
    assert owner.get(f"/api/v1/suppliers/{supplier['id']}").status_code == 200


def test_each_token_is_rate_limited_with_retry_after(tmp_path):
    service = Service(data_dir=tmp_path / "data", env={"INBOX_API_RATE_PER_MINUTE": "3"}).start()
    try:
        account = new_account(service, "Busy")
        client, other = api(service, account), api(service, account)
        answers = [client.get("/api/v1/me").status_code for _ in range(4)]
        limited = client.get("/api/v1/me")
        assert answers == [200, 200, 200, 429]
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        assert other.get("/api/v1/me").status_code == 200  # per token
    finally:
        service.stop()


def test_two_web_processes_share_one_rate_limit(backend: Backend, tmp_path):
    env = backend.env | {"INBOX_API_RATE_PER_MINUTE": "4"}
    if backend.name == "sqlite":  # one data dir shared by both, as one machine would
        env["INBOX_DATA_DIR"] = str(backend.data_dir)
    else:
        assert inbox_cli(tmp_path / "admin", "migrate", env=env).returncode == 0
    data = backend.data_dir if backend.name == "sqlite" else None
    first = Service(data or tmp_path / "one", env=env, roles="web").start()
    second = Service(data or tmp_path / "two", env=env, roles="web").start()
    try:
        secret = token(first, new_account(first, "Shared"))["token"]
        clients = [first.client(), second.client()]
        for client in clients:
            client.headers["Authorization"] = f"Bearer {secret}"

        answers = [clients[n % 2].get("/api/v1/me").status_code for n in range(6)]

        assert answers == [200, 200, 200, 200, 429, 429]  # in memory each process let 4 through
        assert 0 < int(clients[0].get("/api/v1/me").headers["Retry-After"]) <= 60
    finally:
        second.stop()
        first.stop()


def test_an_event_survives_a_kill_and_reaches_a_target_that_was_down(tmp_path):
    service = Service(
        data_dir=tmp_path / "data", env=HOOK_ENV | {"INBOX_HOOK_RETRY_SCHEDULE": ",".join(["0.5s"] * 60)}
    ).start()
    receiver = Receiver()
    try:
        account = new_account(service, "Durable")
        client = api(service, account)
        port = Receiver().start()  # take a free port, then leave it closed: the target is down
        port.stop()
        receiver.port = port.port
        client.post("/api/v1/hooks", json={"event": "document.created", "target_url": receiver.url})
        mail, _ = invoice_mail(account, "KILL-1")
        assert send(service, mail) == {}
        wait_for(lambda: client.get("/api/v1/documents").json()["items"], timeout=30)
        service.kill()
        receiver.start()

        service.start()

        got = wait_for(lambda: receiver.received, timeout=60)
    finally:
        receiver.stop()
        if service.process and service.process.poll() is None:
            service.stop()
    assert json.loads(got[0].body)["data"]["filename"] == "KILL-1.pdf"


def test_deleting_through_the_api_is_in_the_history_like_the_webs_and_restorable(served: Service):
    account = new_account(served, "Deleter")
    client = api(served, account)
    document = upload(client, "d.pdf", make_pdf(["INVOICE D-1"])).json()["documents"][0]

    assert client.delete(f"/api/v1/documents/{document['id']}").status_code == 204
    assert client.delete(f"/api/v1/documents/{document['id']}").status_code == 404  # in the trash already
    web = served.client(account)
    assert document["id"] in web.get("/trash").text
    assert client.post(f"/api/v1/documents/{document['id']}/restore").status_code == 200

    page = web.get(f"/documents/{document['id']}").text
    history = page[page.index('id="history"') :]
    assert "API:" in history and "moved to the trash" in history and "restored from the trash" in history
