"""The working day over real HTTP against a real server: corrections that survive
reprocessing, tags, the trash, uploads, roles, isolation, CSV by language and DATEV."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from tests.builders import make_mail, make_pdf
from tests.service import Service, inbox_cli, login, wait_for
from tests.web.samples import send


def csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """A server, an owner with two invoices, and another account with one of its own."""
    service = Service(data_dir=tmp_path_factory.mktemp("day") / "data").start()
    owner = service.create_account("Müller GmbH", "anna@mueller.example")
    other = service.create_account("Other Ltd", "bob@other.example")
    for account, names in ((owner, ("a-1001.pdf", "b-2002.pdf")), (other, ("z-9.pdf",))):
        for name in names:
            pdf = make_pdf([f"Invoice {name[:-4].upper()}", "Total 119.00 EUR"])
            send(service, make_mail(to=account.inbox_address, attachments=[(name, pdf, "application/pdf")]))
    client, stranger = service.client(owner), service.client(other)
    wait_for(lambda: len(client.get("/api/v1/documents").json()["items"]) == 2, timeout=60)
    wait_for(lambda: len(stranger.get("/api/v1/documents").json()["items"]) == 1, timeout=60)
    yield service, owner, client, stranger
    service.stop()


def documents(client: httpx.Client, **params) -> list[dict]:
    return client.get("/api/v1/documents", params=params).json()["items"]


def by_name(client: httpx.Client, name: str) -> dict:
    return next(d for d in documents(client) if d["filename"] == name)


def test_a_correction_is_recorded_and_survives_reprocessing(day):
    service, owner, client, _ = day
    doc = by_name(client, "a-1001.pdf")

    patched = client.patch(
        f"/api/v1/documents/{doc['id']}",
        json={
            "invoice": {"number": "RE-77", "total": "250.40", "currency": "eur", "issue_date": "2026-03-04"}
        },
    )

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["invoice"]["number"] == "RE-77" and body["invoice"]["total"] == "250.40"
    assert body["invoice"]["currency"] == "EUR" and body["invoice"]["issue_date"] == "2026-03-04"
    assert body["corrections"]["total"] == {"source": "user"}
    assert "seller" not in body["corrections"]
    reprocessed = inbox_cli(service.data_dir, "reprocess", doc["message"])
    assert reprocessed.returncode == 0, reprocessed.stderr
    after = client.get(f"/api/v1/documents/{doc['id']}").json()
    assert (after["invoice"]["number"], after["invoice"]["total"]) == ("RE-77", "250.40")
    assert after["corrections"]["number"] == {"source": "user"}
    page = client.get(f"/documents/{doc['id']}").text
    history = page.split('id="history"')[1]
    assert "anna@mueller.example" in history and "RE-77" in history and "250.40" in history


def test_bad_corrections_are_400s_naming_the_field(day):
    _, _, client, _ = day
    doc = by_name(client, "b-2002.pdf")
    for invoice, named in (
        ({"total": "12,3,4"}, "total"),
        ({"issue_date": "4.3.2026"}, "issue_date"),
        ({"currency": "EURO"}, "currency"),
        ({"type": "receipt"}, "type"),
        ({"buyer": "x"}, "buyer"),
    ):
        response = client.patch(f"/api/v1/documents/{doc['id']}", json={"invoice": invoice})
        assert response.status_code == 400, invoice
        assert response.json()["error"]["message"].startswith(named), response.text
    assert client.patch(f"/api/v1/documents/{doc['id']}", json={"colour": "red"}).status_code == 400


def test_tags_and_note_filter_the_list_and_bulk_tagging_tags_a_selection(day):
    _, _, client, _ = day
    first, second = by_name(client, "a-1001.pdf"), by_name(client, "b-2002.pdf")

    patched = client.patch(
        f"/api/v1/documents/{first['id']}", json={"tags": ["office", " paid ", "office"], "note": "ask Bob"}
    )

    assert patched.json()["tags"] == ["office", "paid"] and patched.json()["note"] == "ask Bob"
    assert [d["id"] for d in documents(client, tag="paid")] == [first["id"]]
    html = client.get("/documents").text
    response = client.post(
        "/documents/tag", data={"csrf_token": csrf(html), "id": [first["id"], second["id"]], "tag": "march"}
    )
    assert response.status_code == 303
    assert {d["id"] for d in documents(client, tag="march")} == {first["id"], second["id"]}
    listed = client.get("/documents", params={"tag": "paid"}).text
    assert "a-1001.pdf" in listed and "b-2002.pdf" not in listed


def test_deleted_documents_go_to_the_trash_and_come_back(day):
    _, _, client, _ = day
    doc = by_name(client, "b-2002.pdf")
    html = client.get("/documents").text

    assert (
        client.post("/documents/delete", data={"csrf_token": csrf(html), "id": doc["id"]}).status_code == 303
    )

    assert doc["id"] not in [d["id"] for d in documents(client)]
    assert client.get(f"/api/v1/documents/{doc['id']}").status_code == 404
    trash = client.get("/trash").text
    assert "b-2002.pdf" in trash and "Restore" in trash
    restored = client.post(f"/api/v1/documents/{doc['id']}/restore")
    assert restored.status_code == 200 and restored.json()["id"] == doc["id"]
    assert doc["id"] in [d["id"] for d in documents(client)]
    assert "b-2002.pdf" not in client.get("/trash").text


def test_an_upload_goes_the_way_of_mail_and_a_bad_file_gets_its_own_error(day):
    _, _, client, _ = day
    token = csrf(client.get("/documents").text)
    pdf = make_pdf(["Invoice UP-5", "Total 10.00 EUR"])

    good = client.post(
        "/documents/upload",
        headers={"X-CSRF-Token": token},
        files={"file": ("up-5.pdf", pdf, "application/pdf")},
    )
    bad = client.post(
        "/documents/upload",
        headers={"X-CSRF-Token": token},
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    forged = client.post("/documents/upload", files={"file": ("up-6.pdf", pdf, "application/pdf")})

    assert good.status_code == 202, good.text
    assert bad.status_code == 400 and "notes.txt" in bad.json()["error"]["message"]
    assert forged.status_code == 403
    wait_for(lambda: any(d["filename"] == "up-5.pdf" for d in documents(client)), timeout=60)
    message = client.get(f"/api/v1/messages/{good.json()['message']}").json()
    assert message["status"] == "processed"


def test_csv_follows_the_language_with_a_type_column_and_negative_credit_notes(day):
    _, _, client, _ = day
    doc = by_name(client, "a-1001.pdf")
    client.patch(
        f"/api/v1/documents/{doc['id']}", json={"invoice": {"type": "credit_note", "total": "250.40"}}
    )

    english = client.get("/documents.csv", params={"tag": "office"}).text.lstrip("\ufeff")
    client.cookies.set("inbox_lang", "de")
    german = client.get("/documents.csv", params={"tag": "office"}).text.lstrip("\ufeff")
    client.cookies.delete("inbox_lang")

    en_rows = list(csv.reader(io.StringIO(english)))
    de_rows = list(csv.reader(io.StringIO(german), delimiter=";"))
    assert len(en_rows) == len(de_rows) == 2  # the header and the one document tagged "office"
    en, de = dict(zip(en_rows[0], en_rows[1], strict=True)), dict(zip(de_rows[0], de_rows[1], strict=True))
    assert (en["invoice_type"], en["total"], en["invoice_number"]) == ("credit_note", "-250.40", "RE-77")
    assert (de["invoice_type"], de["total"], de["currency"]) == ("credit_note", "-250,40", "EUR")
    assert german.splitlines()[0].count(";") == english.splitlines()[0].count(",")


def test_datev_export_is_an_extf_buchungsstapel_line_by_line(day):
    _, _, client, _ = day
    doc = by_name(client, "a-1001.pdf")
    client.patch(f"/api/v1/documents/{doc['id']}", json={"invoice": {"seller": "Müller & Söhne"}})

    response = client.get("/documents.datev.csv", params={"tag": "office"})

    assert response.status_code == 200
    lines = response.content.decode("cp1252").split("\r\n")
    header = lines[0].split(";")
    assert header[:5] == ['"EXTF"', "700", "21", '"Buchungsstapel"', "13"]
    assert re.fullmatch(r"\d{17}", header[5])
    assert (header[14], header[15]) == ("20260304", "20260304")  # the bookings' first and last day
    assert lines[1].split(";")[:3] == [
        '"Umsatz (ohne Soll/Haben-Kz)"',
        '"Soll/Haben-Kennzeichen"',
        '"WKZ Umsatz"',
    ]
    # A credit note debits the supplier ("S"), amount without sign, date DDMM, number, supplier.
    assert lines[2].split(";") == [
        "250,40",
        '"S"',
        '"EUR"',
        "",
        "",
        "",
        "",
        "",
        "",
        "0403",
        '"RE-77"',
        "",
        "",
        '"Müller & Söhne"',
    ]
    assert lines[3:] == [""]


def test_an_accountant_reads_and_exports_but_changes_nothing(day):
    service, owner, client, _ = day
    html = client.get("/account").text
    added = client.post(
        "/account/users", data={"csrf_token": csrf(html), "email": "eva@tax.example", "role": "accountant"}
    )
    assert added.status_code == 200
    password = re.search(r'id="invited">[^<]*<code>([^<]+)</code>', added.text).group(1)
    accountant = httpx.Client(base_url=service.web_url, timeout=30, follow_redirects=False)
    login(accountant, "eva@tax.example", password)
    doc = by_name(accountant, "a-1001.pdf")
    token = csrf(accountant.get("/documents").text)

    assert accountant.get("/documents.csv").status_code == 200
    assert accountant.patch(f"/api/v1/documents/{doc['id']}", json={"note": "x"}).status_code == 403
    assert accountant.post(f"/api/v1/documents/{doc['id']}/restore").status_code == 403
    assert accountant.delete(f"/api/v1/documents/{doc['id']}").status_code == 403
    upload = {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}
    assert accountant.post("/api/v1/documents", files=upload).status_code == 403
    assert (
        accountant.post("/documents/delete", data={"csrf_token": token, "id": doc["id"]}).status_code == 403
    )
    assert (
        accountant.post(f"/documents/{doc['id']}/edit", data={"csrf_token": token, "total": "1"}).status_code
        == 403
    )
    assert (
        accountant.post("/documents/tag", data={"csrf_token": token, "id": doc["id"], "tag": "x"}).status_code
        == 403
    )
    assert (
        accountant.post(
            "/documents/upload",
            headers={"X-CSRF-Token": token},
            files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
        ).status_code
        == 403
    )
    assert (
        accountant.post("/account/users", data={"csrf_token": token, "email": "x@y.example"}).status_code
        == 403
    )
    assert 'id="edit-button"' not in accountant.get(f"/documents/{doc['id']}").text
    assert by_name(client, "a-1001.pdf")["note"] == "ask Bob"
    accountant.close()


def user_row(page: str, email: str) -> str:
    return next(item for item in page.split("<li>") if email in item)


def test_owners_set_roles_and_remove_users_but_keep_an_owner(day):
    _, _, client, _ = day
    html = client.get("/account").text
    token = csrf(html)
    client.post(
        "/account/users", data={"csrf_token": token, "email": "max@mueller.example", "role": "member"}
    )
    page = client.get("/account").text
    max_row = user_row(page, "max@mueller.example")
    max_id = re.search(r'action="/account/users/([0-9a-f]+)/role"', max_row)
    assert max_id is not None, page
    user_id = max_id.group(1)

    assert (
        client.post(f"/account/users/{user_id}/role", data={"csrf_token": token, "role": "owner"}).status_code
        == 303
    )
    assert 'value="owner" selected' in user_row(client.get("/account").text, "max@mueller.example")
    assert client.post(f"/account/users/{user_id}/remove", data={"csrf_token": token}).status_code == 303
    assert "max@mueller.example" not in client.get("/account").text
    me = re.search(r'action="/account/users/([0-9a-f]+)/role"', client.get("/account").text).group(1)
    refused = client.post(f"/account/users/{me}/role", data={"csrf_token": token, "role": "member"})
    assert refused.headers["location"] == "/account?error=last_owner"


def test_another_accounts_ids_are_404_on_every_new_route(day):
    _, _, client, stranger = day
    doc = by_name(client, "a-1001.pdf")
    user_id = re.search(r'action="/account/users/([0-9a-f]+)/role"', client.get("/account").text).group(1)
    token = csrf(stranger.get("/documents").text)

    assert stranger.patch(f"/api/v1/documents/{doc['id']}", json={"note": "mine"}).status_code == 404
    assert stranger.post(f"/api/v1/documents/{doc['id']}/restore").status_code == 404
    assert stranger.get(f"/documents/{doc['id']}/pages/1.png").status_code == 404
    for path, data in (
        (f"/documents/{doc['id']}/edit", {"note": "mine"}),
        ("/documents/delete", {"id": doc["id"]}),
        ("/documents/tag", {"id": doc["id"], "tag": "mine"}),
        (f"/trash/{doc['id']}/restore", {}),
        (f"/account/users/{user_id}/role", {"role": "member"}),
        (f"/account/users/{user_id}/remove", {}),
    ):
        assert stranger.post(path, data={"csrf_token": token, **data}).status_code == 404, path
    assert "a-1001.pdf" not in stranger.get("/trash").text
    theirs = stranger.get("/documents.datev.csv").content.split(b"\r\n")
    assert len(theirs) == 4 and theirs[2].startswith(b"119,00;") and b"RE-77" not in b"".join(theirs)
    assert by_name(client, "a-1001.pdf")["note"] == "ask Bob"


def test_page_images_are_pngs_for_phones(day):
    _, _, client, _ = day
    doc = by_name(client, "a-1001.pdf")

    response = client.get(f"/documents/{doc['id']}/pages/1.png")

    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    assert client.get(f"/documents/{doc['id']}/pages/9.png").status_code == 404


def test_allowed_senders_are_validated_and_a_sender_is_allowed_in_one_click(day):
    _, _, client, _ = day
    token = csrf(client.get("/inbox").text)

    wrong = client.post(
        "/inbox/senders", data={"csrf_token": token, "senders": "@supplier.example\nnot an address"}
    )
    allowed = client.post(
        "/inbox/senders/allow", data={"csrf_token": token, "sender": "Billing@Other.example"}
    )

    assert wrong.status_code == 400 and "not an address" in wrong.text.split('id="wrong-senders"')[1]
    assert allowed.status_code == 303
    textarea = client.get("/inbox").text.split('name="senders"')[1].split("</textarea>")[0]
    assert textarea.split(">", 1)[1].splitlines() == ["billing@other.example"]
    client.post("/inbox/senders", data={"csrf_token": token, "senders": ""})  # anyone again


def test_the_mail_page_hides_technical_parts_unless_asked(day):
    _, _, client, _ = day
    doc = by_name(client, "a-1001.pdf")

    short = client.get(f"/messages/{doc['message']}").text
    full = client.get(f"/messages/{doc['message']}", params={"parts": "all"}).text

    assert "decision-container" not in short and "decision-document" in short and 'id="all-parts"' in short
    assert "decision-container" in full and "decision-body" in full


def test_two_documents_of_one_supplier_with_one_number_are_flagged(day):
    _, _, client, _ = day
    first, second = by_name(client, "a-1001.pdf"), by_name(client, "b-2002.pdf")
    assert 'id="same-number"' not in client.get(f"/documents/{first['id']}").text

    client.patch(
        f"/api/v1/documents/{second['id']}", json={"invoice": {"number": "RE-77", "seller": "Müller & Söhne"}}
    )

    warning = client.get(f"/documents/{first['id']}").text.split('id="same-number"')[1].split("</p>")[0]
    assert f'href="/documents/{second["id"]}"' in warning and "b-2002.pdf" in warning


def test_a_user_picks_a_time_zone_and_a_language(day):
    _, _, client, _ = day
    token = csrf(client.get("/account").text)

    saved = client.post(
        "/account/preferences", data={"csrf_token": token, "time_zone": "Asia/Tokyo", "language": "fr"}
    )
    client.cookies.set("inbox_lang", saved.cookies.get("inbox_lang", ""))
    page = client.get("/documents").text
    client.post("/account/preferences", data={"csrf_token": token, "time_zone": "UTC", "language": ""})
    client.cookies.delete("inbox_lang")

    assert saved.status_code == 303 and saved.cookies.get("inbox_lang") == "fr"
    assert '<html lang="fr">' in page and "Téléverser des factures" in page
    assert "JST" in page and "UTC" not in page.split("<tbody>")[1]
