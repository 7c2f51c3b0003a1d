"""A bookkeeper's working day in real headless Chromium (Debian's), on a desktop and on a
390 × 844 phone, in English, French and German. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import sync_playwright

from tests.builders import make_image, make_pdf
from tests.service import Service, inbox_cli, wait_for
from tests.web.samples import send_samples

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.store_agnostic,  # pages in a browser: what the store holds is tested over HTTP
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
WIDEST = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
PAGE_IMAGES_SHOWN = """[...document.querySelectorAll('#page-images img')].every(
    i => i.complete && i.naturalWidth > 300 && i.getBoundingClientRect().width <= 390)"""


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def logged_in(browser, service: Service, email: str, password: str, *, viewport: dict, lang: str = "en"):
    context = browser.new_context(viewport=viewport, locale=lang, accept_downloads=True)
    page = context.new_page()
    page.goto(service.web_url + "/documents?tag=office")  # asked for before logging in
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/documents?tag=office")  # ...and returned to after
    return context, page


def english_phrases(lang: str) -> list[str]:
    """Our catalogue's English phrases of two words or more that the language words differently."""
    with (ROOT / f"web/locale/{lang}/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source)
    return [
        m.id
        for m in catalogue
        if isinstance(m.id, str) and " " in m.id and "%" not in m.id and m.string and m.string != m.id
    ]


def test_a_working_day_on_a_desktop(service: Service, browser, tmp_path: Path):
    account = service.create_account("Müller GmbH", "anna@mueller.example")
    expected = send_samples(service, account)
    api = service.client(account)
    wait_for(lambda: len(api.get("/api/v1/documents").json()["items"]) == expected, timeout=60)
    lease = next(d for d in api.get("/api/v1/documents").json()["items"] if d["filename"] == "lease.pdf")
    context, page = logged_in(
        browser, service, account.email, account.password, viewport={"width": 1280, "height": 860}
    )
    base = service.web_url

    # Correct: the Edit button opens the form; saved values show, with who and when.
    page.goto(f"{base}/documents/{lease['id']}")
    page.click("#edit-button")
    page.fill("input[name=seller]", "Hausverwaltung Kern")
    page.fill("input[name=number]", "MIETE-2026-03")
    page.fill("input[name=issue_date]", "2026-03-01")
    page.fill("input[name=total]", "1450,00")
    page.fill("input[name=currency]", "EUR")
    page.fill("input[name=tags]", "office, rent")
    page.fill("textarea[name=note]", "Paid by standing order")
    page.click("#edit-form button[type=submit]")
    page.wait_for_url("**done=saved")
    facts = page.locator("#invoice-fields").inner_text()
    assert "Hausverwaltung Kern" in facts and "MIETE-2026-03" in facts and "€1,450.00" in facts
    assert "anna@mueller.example" in page.locator("#history").inner_text()
    assert page.locator("#note").inner_text() == "Paid by standing order"
    shot(page, "desktop-document-edited")
    # ...and survives processing the mail again.
    assert inbox_cli(service.data_dir, "reprocess", lease["message"]).returncode == 0
    page.reload()
    assert "MIETE-2026-03" in page.locator("#invoice-fields").inner_text()

    # Tags filter the list.
    page.goto(base + "/documents")
    page.select_option("select[name=tag]", "rent")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**tag=rent**")
    assert page.locator("table.documents tbody tr").count() == 1

    # Upload two files: each gets its bar and its outcome; a text file gets its own error.
    page.goto(base + "/documents")
    files = [tmp_path / "scan-a.pdf", tmp_path / "photo-b.png", tmp_path / "readme.txt"]
    files[0].write_bytes(make_pdf(["Invoice UP-1", "Total 10.00 EUR"]))
    files[1].write_bytes(make_image(size=(320, 440)))  # not the samples' receipt: no duplicate
    files[2].write_bytes(b"not an invoice")
    page.set_input_files("#upload-input", [str(f) for f in files])
    outcomes = "document.querySelectorAll('#upload-list .ok, #upload-list .failed').length"
    wait_for(lambda: page.evaluate(outcomes) == 3, timeout=30, interval=0.2)  # (CSP: no string eval)
    assert page.locator("#upload-list .ok").count() == 2
    assert "readme.txt" in page.locator("#upload-list .failed").inner_text()
    assert page.locator("#upload-list progress").count() == 3
    shot(page, "desktop-upload")
    wait_for(lambda: len(api.get("/api/v1/documents").json()["items"]) == expected + 2, timeout=60)

    # Trash a selection, then restore from the trash page.
    page.goto(base + "/documents?tag=rent")
    page.check("#select-all")
    page.click("#delete-selected")
    page.wait_for_url("**done=deleted**")
    assert page.locator("table.documents tbody tr").count() == 0 or "lease.pdf" not in page.content()
    page.goto(base + "/trash")
    assert "lease.pdf" in page.locator("table.trash").inner_text()
    shot(page, "desktop-trash")
    page.click("table.trash button >> text=Restore")
    page.wait_for_url("**done=restored")
    page.goto(base + "/documents")
    assert "lease.pdf" in page.locator("table.documents").inner_text()
    shot(page, "desktop-documents")
    page.goto(base + "/account")
    shot(page, "desktop-account")
    context.close()


@pytest.mark.parametrize("lang", ["en", "fr", "de"])
def test_a_phone_shows_cards_page_images_and_nothing_wider_than_the_screen(service: Service, browser, lang):
    account = service.create_account("Müller GmbH", "anna@mueller.example")
    expected = send_samples(service, account)
    api = service.client(account)
    wait_for(lambda: len(api.get("/api/v1/documents").json()["items"]) == expected, timeout=60)
    docs = api.get("/api/v1/documents").json()["items"]
    pdf = next(d for d in docs if d["kind"] == "pdf" and d["invoice"])
    api.patch(f"/api/v1/documents/{pdf['id']}", json={"tags": ["office"], "note": "Checked"})
    api.patch(f"/api/v1/documents/{docs[-1]['id']}", json={"tags": ["office"]})
    context, page = logged_in(browser, service, account.email, account.password, viewport=PHONE, lang=lang)
    base = service.web_url
    english = english_phrases(lang) if lang != "en" else []

    for name, path in (
        ("documents", "/documents"),
        ("document", f"/documents/{pdf['id']}"),
        ("messages", "/messages"),
        ("trash", "/trash"),
        ("account", "/account"),
        ("inbox", "/inbox"),
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(WIDEST) <= PHONE["width"], f"{path} is wider than the phone"
        text = page.locator("body").inner_text()
        assert [p for p in english if p in text] == [], path
        shot(page, f"phone-{lang}-{name}")

    page.goto(base + "/documents")
    cards = page.locator("table.documents tbody tr")
    assert cards.count() == expected
    first = cards.first.bounding_box()
    assert first is not None and first["height"] < 160  # a card of a few lines, not a letter per line
    assert page.locator("table.documents thead").is_hidden()
    page.goto(f"{base}/documents/{pdf['id']}")
    assert page.locator(".preview iframe").is_hidden()
    wait_for(lambda: page.evaluate(PAGE_IMAGES_SHOWN), timeout=30, interval=0.5)
    edit = {"en": "Edit", "fr": "Modifier", "de": "Bearbeiten"}[lang]
    assert page.locator("#edit-button").inner_text() == edit
    page.click("#edit-button")
    assert page.evaluate(WIDEST) <= PHONE["width"]
    shot(page, f"phone-{lang}-document-edit")
    context.close()
