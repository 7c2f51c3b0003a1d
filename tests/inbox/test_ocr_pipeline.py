"""A photo of an invoice mailed in is read by OCR inside the bounded extraction process, and
its words are searchable like a PDF's text layer."""

from __future__ import annotations

from inbox import scans
from storage.document_search import DocumentFilter, search_documents
from tests.builders import make_mail
from tests.inbox.test_pipeline import account, deliver, documents, process_all, raw, store  # noqa: F401
from tests.layoutgen import generate_layout
from tests.needs import needs_tesseract

pytestmark = needs_tesseract


def test_a_mailed_photo_is_read_in_the_sandbox_and_found_by_search(store, account):  # noqa: F811
    invoice = generate_layout(11)
    (page,) = scans.scanned_pages(invoice.pdf, seed=11, pages=1)
    photo = scans.as_photo(page, seed=11)
    deliver(store, account, raw(make_mail(attachments=[("IMG_0001.jpg", photo, "image/jpeg")])))

    process_all(store, memory_mb=1024)  # the production bound of an extraction process

    (document,) = documents(store)
    assert (document.kind, document.invoice_number) == ("image", invoice.number)
    with store.session() as session:
        found, _ = search_documents(
            session=session, account_id=account.id, filters=DocumentFilter(query=invoice.number)
        )
    assert [d.id for d in found] == [document.id]
