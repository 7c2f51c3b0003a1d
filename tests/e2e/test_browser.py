"""The everyday path in real headless Chromium, from mail sent over SMTP to the user's clicks.

Screenshots of the main pages are saved under artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import csv
import io
import smtplib
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.builders import make_mail, make_pdf
from tests.service import Service, wait_for
from tests.web.samples import send, send_samples

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.store_agnostic,  # pages in a browser: what the store holds is tested over HTTP
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def browser():

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, locale="en-US", accept_downloads=True
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield context.new_page()
    context.close()


# (Evaluated over CDP: the pages' CSP rightly forbids the string eval of wait_for_function.)
THUMBNAILS_ARE_PNG = """[...document.querySelectorAll('td.thumb img')].every(
    i => i.complete && i.naturalWidth > 36)"""


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def rows(page) -> list[str]:
    return page.locator("table.documents tbody tr td:nth-child(7) a").all_inner_texts()


def test_an_accountants_day(service: Service, page):
    account = service.create_account("Müller GmbH", "anna@mueller.example")
    expected = send_samples(service, account)
    api = service.client(account)
    wait_for(lambda: len(api.get("/api/documents").json()["items"]) == expected, timeout=60)
    base = service.web_url

    page.goto(base + "/documents")
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/documents")
    assert len(rows(page)) == expected
    # Thumbnails are rendered off the request path; a later visit shows the cached PNGs.
    wait_for(lambda: page.reload() or page.evaluate(THUMBNAILS_ARE_PNG), timeout=30, interval=1)
    shot(page, "documents")

    page.fill("input[name=q]", "lease")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=lease**")
    assert rows(page) == ["lease.pdf"]
    assert page.locator("#result-count").inner_text() == "1 document"
    page.go_back()  # the state is in the URL: back is the unfiltered list
    page.wait_for_function(f"document.querySelectorAll('table.documents tbody tr').length == {expected}")

    page.select_option("select[name=kind]", "image")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**kind=image**")
    assert rows(page) == ["receipt.png"]
    page.goto(base + "/documents")

    page.click("th a.sort >> text=Supplier")
    page.wait_for_url("**sort=supplier**")
    suppliers = page.locator("table.documents tbody td:nth-child(3)").all_inner_texts()
    assert suppliers == sorted(suppliers, key=str.lower)
    page.click("th a.sort >> text=Supplier")  # again: the other way round
    page.wait_for_url("**dir=desc**")
    assert page.locator("table.documents tbody td:nth-child(3)").all_inner_texts() == sorted(
        suppliers, key=str.lower, reverse=True
    )

    page.goto(base + "/documents")
    page.click("text=lease.pdf")
    page.wait_for_selector("iframe[src$='/preview']")
    page.wait_for_timeout(1500)  # the PDF viewer draws the page
    shot(page, "document")
    with page.expect_download() as download:
        page.click("a.button >> text=Download")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"

    page.goto(base + "/documents")
    assert page.is_disabled("#download-zip")
    page.check("#select-all")
    with page.expect_download() as zipped:
        page.click("#download-zip")
    names = zipfile.ZipFile(download_path := zipped.value.path()).namelist()
    assert len(names) == expected and len(set(names)) == expected, download_path
    with page.expect_download() as exported:
        page.click("text=Export this list as CSV")
    table = list(csv.DictReader(io.StringIO(Path(exported.value.path()).read_text("utf-8-sig"))))
    assert len(table) == expected

    page.goto(base + "/messages")
    shot(page, "messages")
    page.click("table.list tbody tr:first-child a")
    page.wait_for_selector("iframe.mailbody")
    shot(page, "message")

    page.goto(base + "/inbox")
    page.click("button[data-copy]")
    page.wait_for_selector(".copied:not([hidden])")
    assert page.evaluate("navigator.clipboard.readText()") == account.inbox_address
    shot(page, "inbox")

    page.click("nav.languages a[lang=fr]")
    page.wait_for_selector("h1:text('L\\'adresse de votre boîte')")
    page.goto(base + "/documents")  # the choice is remembered
    assert page.locator("#result-count").inner_text() == f"{expected} documents"
    assert page.locator("th >> text=Fournisseur").count() == 1
    shot(page, "documents-fr")
    # A click only starts the navigation: wait for the German page before looking at it
    # (checking at once raced the load and failed now and then).
    page.click("nav.languages a[lang=de]")
    page.wait_for_selector("html[lang=de]")
    assert page.locator("th >> text=Lieferant").count() == 1
    page.click("nav.languages a[lang=en]")
    page.wait_for_selector("html[lang=en]")

    page.goto(base + "/inbox")
    page.click("button.danger")  # without ticking the box: refused by the browser
    assert page.url.endswith("/inbox")
    page.check("input[name=confirm]")
    page.click("button.danger")
    page.wait_for_url("**done=regenerated")
    new_address = page.locator("#inbox-address").inner_text()
    assert new_address != account.inbox_address
    old = make_mail(to=account.inbox_address, attachments=[("a.pdf", make_pdf(), "application/pdf")])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(service, old)
    assert refused.value.recipients[account.inbox_address][0] == 550
    assert send(service, make_mail(to=new_address)) == {}


def test_empty_inbox_says_what_to_do(service: Service, page):
    account = service.create_account("New SARL", "new@new.example")

    page.goto(service.web_url + "/login")
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/documents")

    assert page.locator("text=No documents yet").count() == 1
    assert page.locator("#inbox-address").inner_text() == account.inbox_address
    shot(page, "documents-empty")
