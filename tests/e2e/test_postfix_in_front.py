"""Postfix as the MX of the inbox domain, relaying to our SMTP port: the shape most deployments
have. The configuration is the one docs/deploy.md recommends (tests/postfix.py)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from sqlmodel import select

from storage.models import Document
from tests.backends import Backend
from tests.builders import make_mail, make_pdf
from tests.postfix import PrivatePostfix, unavailable
from tests.service import Service, wait_for

# What is tested is the SMTP conversation between Postfix and us, above the store.
pytestmark = pytest.mark.store_agnostic

# The client stands for a server on the internet: not Postfix's own address, so not in mynetworks.
INTERNET = "127.0.0.2"


@pytest.fixture(scope="module")
def postfix(shared_service: Service) -> Iterator[PrivatePostfix]:
    """One private Postfix relaying to one `inbox serve` for the module; each test makes its
    own account."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    mta = PrivatePostfix(domain="inbox.localhost", inbox_port=shared_service.smtp_port).start()
    yield mta
    mta.stop()


def connect(postfix: PrivatePostfix) -> smtplib.SMTP:
    client = smtplib.SMTP(timeout=30, source_address=(INTERNET, 0))
    client.connect("127.0.0.1", postfix.port)
    client.ehlo("sender.example")
    return client


def test_mail_sent_to_postfix_ends_as_a_document(
    shared_service: Service, shared_backend: Backend, postfix: PrivatePostfix
):
    account = shared_service.create_account("Acme", "owner@acme.example")
    pdf = make_pdf(["Invoice PFX-1", "Total 42.00 EUR"])
    mail = make_mail(
        to=account.inbox_address,
        subject="Invoice via Postfix",
        attachments=[("pfx.pdf", pdf, "application/pdf")],
    )
    with connect(postfix) as client:
        refused = client.sendmail("billing@supplier.example", [account.inbox_address], mail.as_bytes())
    assert refused == {}

    def document() -> Document | None:
        store = shared_backend.open_store()
        try:
            with store.session() as session:
                return session.exec(select(Document).where(Document.subject == "Invoice via Postfix")).first()
        finally:
            store.engine.dispose()

    found = wait_for(document, timeout=60)
    assert found.account_id == account.id and found.filename == "pfx.pdf"
    assert shared_backend.open_blob_store().read(found.sha256) == pdf


def test_unknown_address_is_refused_at_rcpt_by_postfix_without_a_bounce(postfix: PrivatePostfix):
    with connect(postfix) as client:
        client.mail("someone@forged-sender.example")
        code, reply = client.rcpt("no-such-inbox@inbox.localhost")
    # Postfix asked our SMTP port first (reject_unverified_recipient) and passes on its 550:
    # the sending server gets the refusal, so nothing is accepted that would later bounce to a
    # forged sender (backscatter).
    assert code == 550 and b"5.1.1" in reply, reply
    assert b"Recipient address rejected" in reply and b"No such inbox here" in reply
    assert postfix.queued() == [], postfix.log()
    assert "sender non-delivery notification" not in postfix.log()
