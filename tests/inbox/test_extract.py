from inbox.extract import extract_mail
from inbox.extract.model import Decision, DocumentKind
from tests.builders import make_mail, make_pdf


def test_pdf_attachment_becomes_a_document_with_its_facts():
    pdf = make_pdf(pages=2)
    mail = make_mail(attachments=[("Rechnung_Müller.pdf", pdf, "application/pdf")])

    result = extract_mail(mail.as_bytes())

    (doc,) = result.documents
    assert doc.kind is DocumentKind.PDF
    assert doc.filename == "Rechnung_Müller.pdf"
    assert doc.payload == pdf
    assert doc.pdf is not None and doc.pdf.pages == 2 and not doc.pdf.unreadable
    assert "INV-1001" in doc.pdf.text
    assert result.subject == "Invoice INV-1001"
    assert [p.decision for p in result.parts].count(Decision.BODY) == 2


def test_pdf_sent_as_octet_stream_with_wrong_extension_is_found_by_content():
    mail = make_mail(attachments=[("scan.dat", make_pdf(), "application/octet-stream")])

    (doc,) = extract_mail(mail.as_bytes()).documents

    assert doc.detected_type == "application/pdf"


def test_broken_pdf_is_a_document_flagged_unreadable():
    mail = make_mail(attachments=[("broken.pdf", b"%PDF-1.4\ngarbage", "application/pdf")])

    (doc,) = extract_mail(mail.as_bytes()).documents

    assert doc.pdf is not None and doc.pdf.unreadable
    assert doc.pdf.pages is None


def test_garbage_bytes_extract_without_documents():
    result = extract_mail(b"\x00\xff garbage \r\n\r\n\x80\x81")

    assert result.documents == ()
