"""Fields read with low confidence are marked for checking in the list and on the detail page,
over HTTP against `inbox serve`, and seen in headless Chromium on a desktop and a phone."""

from __future__ import annotations

import re

import pytest

from tests.builders import make_mail, make_pdf
from tests.e2e.test_working_day_browser import CHROMIUM, PHONE, browser, logged_in, shot  # noqa: F401
from tests.service import Service, wait_for
from tests.web.samples import send

pytestmark = pytest.mark.store_agnostic  # what is tested is the pages
UNSURE = re.compile(r'<span class="unsure" role="img" title="([^"]+)" aria-label="\1"></span>')
# The same supplier's invoices: one dates it under a bare "Date" (low confidence), one after
# "Invoice date" (high).
INVOICES = {
    "unsure-date.pdf": ["Muster GmbH", "Invoice no. AB-77", "Date", "01.03.2026", "Total due 119.00 EUR"],
    "sure-date.pdf": ["Muster GmbH", "Invoice no. AB-78", "Invoice date 01.03.2026", "Total due 119.00 EUR"],
}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    service = Service(data_dir=tmp_path_factory.mktemp("unsure") / "data").start()
    account = service.create_account("Müller GmbH", "anna@mueller.example")
    for name, lines in INVOICES.items():
        send(
            service,
            make_mail(to=account.inbox_address, attachments=[(name, make_pdf(lines), "application/pdf")]),
        )
    client = service.client(account)
    wait_for(lambda: len(client.get("/api/v1/documents").json()["items"]) == len(INVOICES), timeout=60)
    ids = {d["filename"]: d["id"] for d in client.get("/api/v1/documents").json()["items"]}
    yield service, account, client, ids
    service.stop()


def row(html: str, filename: str) -> str:
    return next(r for r in html.split("<tr") if f">{filename}</a>" in r)


def cell(row_html: str, css_class: str) -> str:
    return row_html.split(f'class="{css_class}')[1].split("</td>")[0]


def test_a_low_confidence_field_is_marked_and_a_high_one_is_not(inbox):
    _, _, client, ids = inbox
    listing = client.get("/documents").text
    unsure, sure = row(listing, "unsure-date.pdf"), row(listing, "sure-date.pdf")

    assert UNSURE.search(cell(unsure, "nowrap date"))
    assert not UNSURE.search(cell(unsure, "number")) and not UNSURE.search(cell(unsure, "num nowrap total"))
    assert not UNSURE.search(sure)
    detail = client.get(f"/documents/{ids['unsure-date.pdf']}").text.split('id="invoice-fields"')[1]
    date_row = detail.split("</dd>")[1]  # invoice no., then the date
    marked = UNSURE.search(date_row)
    assert "Invoice date" in date_row and marked
    assert marked.group(1) == "Read with low confidence: please check"
    assert not UNSURE.search(client.get(f"/documents/{ids['sure-date.pdf']}").text)


def listed(client, path: str) -> set[str]:
    if path.startswith("/api/"):
        return {d["filename"] for d in client.get(path).json()["items"]}
    return {name for name in INVOICES if f">{name}</a>" in client.get(path).text}


def test_the_documents_to_check_are_listed_by_the_list_and_the_api(inbox):
    _, _, client, _ = inbox
    assert listed(client, "/documents?flag=check") == {"unsure-date.pdf"}
    assert listed(client, "/api/v1/documents?status=check") == {"unsure-date.pdf"}
    assert listed(client, "/documents") == set(INVOICES)
    toggle = client.get("/documents").text.split('id="to-check"')[1].split("</a>")[0]
    assert (
        'href="/documents?flag=check"' in toggle and 'aria-pressed="false"' in toggle and "To check" in toggle
    )
    pressed = client.get("/documents?flag=check&sort=total").text.split('id="to-check"')[1].split("</a>")[0]
    assert 'href="/documents?sort=total&amp;dir=desc"' in pressed and 'aria-pressed="true"' in pressed
    for language, word in (("fr", "À vérifier"), ("de", "Zu prüfen")):
        page = client.get("/documents", headers={"Accept-Language": language}).text
        assert word in page.split('id="to-check"')[1].split("</a>")[0]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_the_mark_in_a_browser_on_a_desktop_and_a_phone(inbox, browser):  # noqa: F811
    service, account, _, ids = inbox
    for name, viewport in (("desktop", {"width": 1280, "height": 800}), ("phone", PHONE)):
        context, page = logged_in(browser, service, account.email, account.password, viewport=viewport)
        page.goto(service.web_url + "/documents")
        mark = page.get_by_role("img", name="Read with low confidence: please check")
        assert mark.count() >= 1 and mark.first.is_visible()
        shot(page, f"unsure-list-{name}")
        page.goto(f"{service.web_url}/documents/{ids['unsure-date.pdf']}")
        assert page.locator("#invoice-fields .unsure").is_visible()
        shot(page, f"unsure-detail-{name}")
        page.goto(service.web_url + "/documents")
        page.get_by_role("button", name="To check").click()
        page.wait_for_url("**/documents?flag=check")
        assert page.locator("table.list tbody tr").count() == 1
        assert page.get_by_role("button", name="To check").get_attribute("aria-pressed") == "true"
        shot(page, f"to-check-list-{name}")
        context.close()


# Last: it corrects the field the tests above find marked.
def test_the_mark_is_translated_and_goes_once_the_field_is_corrected(inbox):
    _, _, client, ids = inbox
    french = client.get("/documents", headers={"Accept-Language": "fr"}).text
    assert UNSURE.search(row(french, "unsure-date.pdf")).group(1) == "Lu avec peu de certitude : à vérifier"

    patched = client.patch(
        f"/api/v1/documents/{ids['unsure-date.pdf']}", json={"invoice": {"issue_date": "2026-03-02"}}
    )

    assert patched.status_code == 200, patched.text
    assert not UNSURE.search(row(client.get("/documents").text, "unsure-date.pdf"))
    assert (
        listed(client, "/documents?flag=check") == listed(client, "/api/v1/documents?status=check") == set()
    )
