"""The documents pages over real HTTP: list state in the URL, search, CSV, ZIP, previews."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile

import pytest

from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for
from tests.web.samples import send, send_samples


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """One server with a small realistic inbox, shared by the read-only tests below."""
    service = Service(data_dir=tmp_path_factory.mktemp("docs") / "data").start()
    account = service.create_account("Müller GmbH", "anna@mueller.example")
    expected = send_samples(service, account)
    client = service.client(account)
    wait_for(lambda: len(client.get("/api/documents").json()["items"]) == expected, timeout=60)
    yield service, client, client.get("/api/documents").json()["items"]
    service.stop()


def listed_files(html: str) -> list[str]:
    return re.findall(r'<a href="/documents/[0-9a-f]{20}">([^<]+)</a>', html)


def csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_search_filters_and_count_come_from_the_url(inbox):
    _, client, docs = inbox

    everything = client.get("/documents")
    searched = client.get("/documents", params={"q": "lease agreement"})
    images = client.get("/documents", params={"kind": "image"})
    nothing = client.get("/documents", params={"q": "zzzunknownword"})

    assert len(listed_files(everything.text)) == len(docs)
    assert f"{len(docs)} documents" in everything.text
    assert listed_files(searched.text) == ["lease.pdf"] and "1 document<" in searched.text
    assert 'value="lease agreement"' in searched.text  # the form shows the state it came from
    assert listed_files(images.text) == ["receipt.png"]
    assert "No document matches" in nothing.text


def test_sort_by_supplier_uses_the_seller_else_the_sender(inbox):
    _, client, docs = inbox

    def supplier(doc: dict) -> str:
        seller = (doc["invoice"] or {}).get("seller")
        return (seller if seller is not None else doc["sender"]).lower()

    html = client.get("/documents", params={"sort": "supplier", "dir": "asc"}).text

    assert listed_files(html) == [d["filename"] for d in sorted(docs, key=supplier)]
    assert any(d["invoice"] for d in docs)  # the sort is not only by sender
    assert 'aria-sort="ascending"' in html
    assert "cursor=" not in html  # one page only: no "next" link


def test_a_forged_cursor_is_a_400_page(inbox):
    _, client, _ = inbox

    assert client.get("/documents", params={"cursor": "not-a-cursor"}).status_code == 400


def test_csv_export_follows_the_filters(inbox):
    _, client, docs = inbox

    response = client.get("/documents.csv", params={"kind": "pdf"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["filename"] for r in rows) == sorted(d["filename"] for d in docs if d["kind"] == "pdf")


def test_csv_columns_are_the_invoice_fields_and_carry_their_values(inbox):
    _, client, docs = inbox

    rows = list(csv.DictReader(io.StringIO(client.get("/documents.csv").content.decode("utf-8-sig"))))

    assert {"invoice_number", "invoice_type", "seller", "buyer_reference", "total", "kind", "status"} <= set(
        rows[0]
    )
    (xml,) = [r for r in rows if r["filename"] == "xrechnung.xml"]
    assert (xml["invoice_number"], xml["total"], xml["buyer_reference"]) == (
        "FA-2024-0042",
        "240.01",
        "04011000-12345-34",
    )
    assert xml["invoice_source"] == "xml" and xml["kind"] == "einvoice_xml" and xml["status"] == "ok"


def test_selected_documents_download_as_one_zip_with_their_bytes(inbox):
    service, client, docs = inbox
    page = client.get("/documents").text
    chosen = [d for d in docs if d["kind"] == "pdf"][:2]

    response = client.post("/documents/zip", data={"csrf_token": csrf(page), "id": [d["id"] for d in chosen]})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted(d["filename"] for d in chosen)
    for doc in chosen:
        original = client.get(f"/documents/{doc['id']}/download").content
        assert archive.read(doc["filename"]) == original


def test_a_download_streams_the_exact_bytes_with_length_and_a_content_etag(inbox):
    _, client, docs = inbox
    doc = max(docs, key=lambda d: d["size"])

    response = client.get(f"/documents/{doc['id']}/download")
    again = client.get(
        f"/documents/{doc['id']}/download", headers={"If-None-Match": response.headers["etag"]}
    )
    changed = client.get(f"/documents/{doc['id']}/download", headers={"If-None-Match": '"0000"'})

    assert hashlib.sha256(response.content).hexdigest() == doc["sha256"]
    assert int(response.headers["content-length"]) == len(response.content) == doc["size"]
    assert response.headers["etag"] == f'"{doc["sha256"]}"'
    assert response.headers["content-disposition"].startswith("attachment;")
    assert again.status_code == 304 and again.content == b""
    assert changed.status_code == 200 and changed.content == response.content


def test_zip_without_csrf_token_is_refused(inbox):
    _, client, docs = inbox

    response = client.post("/documents/zip", data={"id": [docs[0]["id"]]})

    assert response.status_code == 403


def test_preview_is_inline_sandboxed_and_typed(inbox):
    _, client, docs = inbox
    pdf = next(d for d in docs if d["kind"] == "pdf")
    xml = next(d for d in docs if d["kind"] == "einvoice_xml")

    response = client.get(f"/documents/{pdf['id']}/preview")
    as_text = client.get(f"/documents/{xml['id']}/preview")

    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.content[:5] == b"%PDF-"
    assert as_text.headers["content-type"] == "text/plain; charset=utf-8"  # XML is never rendered


def test_a_pdf_thumbnail_is_rendered_once_and_cached(inbox):
    _, client, docs = inbox
    pdf = next(d for d in docs if d["kind"] == "pdf")

    first = wait_for(
        lambda: (
            (r := client.get(f"/documents/{pdf['id']}/thumbnail")).headers["content-type"] == "image/png"
            and r
        )
    )

    assert first.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/documents/{pdf['id']}/thumbnail").content == first.content


def test_a_broken_pdf_gets_a_placeholder_not_an_error(service: Service):
    account = service.create_account("Acme", "a@acme.example")
    broken = make_pdf()[:400]  # a PDF header, then nothing usable
    send(
        service,
        make_mail(to=account.inbox_address, attachments=[("x.pdf", broken, "application/pdf")]),
    )
    client = service.client(account)
    docs = wait_for(lambda: client.get("/api/documents").json()["items"])

    response = client.get(f"/documents/{docs[0]['id']}/thumbnail")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
