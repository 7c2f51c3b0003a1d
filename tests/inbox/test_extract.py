import base64

import pytest

from inbox.extract import extract_mail
from inbox.extract.inline import SMALL_INLINE_BYTES
from inbox.extract.mime import MAX_FORWARD_DEPTH
from inbox.extract.model import Decision, DocumentKind, MailExtraction
from tests.builders import (
    forward,
    make_einvoice_xml,
    make_image,
    make_mail,
    make_pdf,
    make_tnef,
    make_zip,
)


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


def decisions(result: MailExtraction) -> list[tuple[str, Decision, str]]:
    return [(p.path, p.decision, p.filename) for p in result.parts]


def test_every_part_of_a_nested_mail_is_listed_in_tree_order():
    mail = make_mail(attachments=[("invoice.pdf", make_pdf(), "application/pdf")])

    result = extract_mail(mail.as_bytes())

    assert decisions(result) == [
        ("0", Decision.CONTAINER, ""),
        ("1", Decision.CONTAINER, ""),
        ("1.1", Decision.BODY, ""),
        ("1.2", Decision.BODY, ""),
        ("2", Decision.DOCUMENT, "invoice.pdf"),
    ]
    assert result.text_body.strip() == "Please find attached our invoice."
    assert result.html_body.strip() == "<p>Please find attached our <b>invoice</b>.</p>"


def test_forwarded_mail_is_a_container_and_its_attachments_are_documents():
    inner = make_mail(subject="Rechnung 7", attachments=[("r7.pdf", make_pdf(), "application/pdf")])
    outer = forward(inner)

    result = extract_mail(outer.as_bytes())

    assert decisions(result) == [
        ("0", Decision.CONTAINER, ""),
        ("1", Decision.BODY, ""),
        ("2", Decision.CONTAINER, ""),
        ("2.1", Decision.CONTAINER, ""),
        ("2.1.1", Decision.CONTAINER, ""),
        ("2.1.1.1", Decision.BODY, ""),
        ("2.1.1.2", Decision.BODY, ""),
        ("2.1.2", Decision.DOCUMENT, "r7.pdf"),
    ]
    assert result.parts[2].reason == "forwarded message: Rechnung 7"


def test_forwarding_deeper_than_the_limit_is_recorded_not_opened():
    mail = make_mail(attachments=[("deep.pdf", make_pdf(), "application/pdf")])
    for _ in range(MAX_FORWARD_DEPTH + 1):
        mail = forward(mail)

    result = extract_mail(mail.as_bytes())

    assert result.documents == ()
    (too_deep,) = [p for p in result.parts if p.decision is Decision.UNSUPPORTED]
    assert too_deep.declared_type == "message/rfc822"
    assert too_deep.reason.startswith("forwarded message nested deeper than")


def test_base64_encoded_forwarded_mail_is_decoded_and_opened():
    inner = make_mail(attachments=[("a.pdf", make_pdf(), "application/pdf")], html=None)
    outer = make_mail(html=None)
    outer.add_attachment(inner.as_bytes(), maintype="message", subtype="rfc822", cte="base64")

    result = extract_mail(outer.as_bytes())

    assert [d.filename for d in result.documents] == ["a.pdf"]


@pytest.mark.parametrize(
    "filename",
    ["Facture n°123 – Société Générale.pdf", "Rechnung_Müller_Größe.pdf"],
)
def test_non_ascii_filenames_are_decoded_from_rfc2231(filename):
    mail = make_mail(attachments=[(filename, make_pdf(), "application/pdf")])
    assert b"filename*" in mail.as_bytes()  # RFC 2231, folded when long

    (doc,) = extract_mail(mail.as_bytes()).documents

    assert doc.filename == filename


def test_encoded_word_filename_is_decoded():
    raw = _single_attachment_mail(
        "Content-Type: application/pdf;\r\n"
        ' name="=?utf-8?q?Facture_n=C2=B0123_=E2=80=93_?=\r\n'
        ' =?utf-8?q?Soci=C3=A9t=C3=A9_G=C3=A9n=C3=A9rale=2Epdf?="',
        make_pdf(),
    )

    (doc,) = extract_mail(raw).documents

    assert doc.filename == "Facture n°123 – Société Générale.pdf"


def test_raw_latin1_filename_and_subject_do_not_break_extraction():
    raw = _single_attachment_mail(
        'Content-Type: application/pdf; name="Rechnung_M\xfcller_Gr\xf6\xdfe.pdf"'.encode("latin-1"),
        make_pdf(),
        subject=b"Rechnung f\xfcr M\xe4rz",
    )

    result = extract_mail(raw)

    assert [d.filename for d in result.documents] == ["Rechnung_Müller_Größe.pdf"]


def test_missing_filename_gets_a_generated_name_from_path_and_type():
    mail = make_mail(html=None)
    mail.add_attachment(make_pdf(), maintype="application", subtype="octet-stream")

    result = extract_mail(mail.as_bytes())

    assert [d.filename for d in result.documents] == ["attachment-2.pdf"]


def test_path_traversal_and_newline_in_filename_leave_a_plain_name():
    name = base64.b64encode(b"../../etc\\evil\n.pdf").decode()
    raw = _single_attachment_mail(f'Content-Type: application/pdf; name="=?utf-8?b?{name}?="', make_pdf())

    (doc,) = extract_mail(raw).documents

    assert doc.filename == "evil .pdf"


def test_malformed_mime_records_defects():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    )

    result = extract_mail(raw)

    assert any("CloseBoundaryNotFound" in d for d in result.defects)
    assert decisions(result) == [("0", Decision.CONTAINER, ""), ("1", Decision.BODY, "")]


def test_kinds_are_detected_by_content():
    mail = make_mail(
        html=None,
        attachments=[
            ("scan.dat", make_pdf(), "application/octet-stream"),
            ("fake.pdf", b"this is not a pdf", "application/pdf"),
            ("xrechnung.xml", make_einvoice_xml("ubl"), "application/xml"),
            ("credit.xml", make_einvoice_xml("ubl-credit-note"), "text/xml"),
            ("cii.xml", make_einvoice_xml("cii"), "application/octet-stream"),
            ("zugferd.xml", make_einvoice_xml("zugferd1"), "application/xml"),
            ("other.xml", b"<?xml version='1.0'?><FatturaElettronica/>", "application/xml"),
            ("photo.jpg", make_image("JPEG"), "image/jpeg"),
            ("scan.tif", make_image("TIFF"), "application/octet-stream"),
            ("scan.webp", make_image("WEBP"), "image/webp"),
            ("data.xlsx", _xlsx(), "application/vnd.ms-excel"),
            ("setup.exe", b"MZ\x90\x00" + bytes(60), "application/x-msdownload"),
            ("smime.p7s", b"\x30\x82\x01\x00" + bytes(40), "application/pkcs7-signature"),
        ],
    )

    result = extract_mail(mail.as_bytes())

    by_name = {p.filename: p for p in result.parts if p.filename}
    assert {n: p.kind for n, p in by_name.items() if p.decision is Decision.DOCUMENT} == {
        "scan.dat": DocumentKind.PDF,
        "xrechnung.xml": DocumentKind.EINVOICE_XML,
        "credit.xml": DocumentKind.EINVOICE_XML,
        "cii.xml": DocumentKind.EINVOICE_XML,
        "zugferd.xml": DocumentKind.EINVOICE_XML,
        "photo.jpg": DocumentKind.IMAGE,
        "scan.tif": DocumentKind.IMAGE,
        "scan.webp": DocumentKind.IMAGE,
    }
    assert by_name["fake.pdf"].decision is Decision.CORRUPT
    assert "not a PDF" in by_name["fake.pdf"].reason
    assert by_name["fake.pdf"].payload is None
    unsupported = {n: p.detected_type for n, p in by_name.items() if p.decision is Decision.UNSUPPORTED}
    assert unsupported == {
        "other.xml": "application/xml",
        "data.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "setup.exe": "application/x-msdownload",
        "smime.p7s": "application/octet-stream",
    }
    assert all(str(by_name[n].size) in by_name[n].reason for n in ("setup.exe", "smime.p7s"))


def test_zip_entries_become_documents_that_remember_the_archive():
    archive = make_zip(
        [
            ("invoices/", b""),
            ("invoices/march.pdf", make_pdf()),
            ("invoices/march.xml", make_einvoice_xml("cii")),
            ("readme.txt", b"hello"),
            ("secret.pdf", make_pdf()),
        ],
        encrypted=("secret.pdf",),
    )
    mail = make_mail(html=None, attachments=[("bundle.zip", archive, "application/zip")])

    result = extract_mail(mail.as_bytes())

    assert [(p.path, p.decision, p.filename, p.from_archive) for p in result.parts[2:]] == [
        ("2", Decision.CONTAINER, "bundle.zip", None),
        ("2/1", Decision.CONTAINER, "invoices", "bundle.zip"),
        ("2/2", Decision.DOCUMENT, "march.pdf", "bundle.zip"),
        ("2/3", Decision.DOCUMENT, "march.xml", "bundle.zip"),
        ("2/4", Decision.UNSUPPORTED, "readme.txt", "bundle.zip"),
        ("2/5", Decision.UNSUPPORTED, "secret.pdf", "bundle.zip"),
    ]
    assert result.parts[-1].reason == "encrypted archive entry"


def test_zip_inside_zip_is_opened_once_but_not_twice():
    innermost = make_zip([("deep.pdf", make_pdf())])
    inner = make_zip([("inner.pdf", make_pdf()), ("innermost.zip", innermost)])
    outer = make_zip([("inner.zip", inner)])
    mail = make_mail(html=None, attachments=[("outer.zip", outer, "application/zip")])

    result = extract_mail(mail.as_bytes())

    assert [(p.path, p.decision, p.from_archive) for p in result.parts[2:]] == [
        ("2", Decision.CONTAINER, None),
        ("2/1", Decision.CONTAINER, "outer.zip"),
        ("2/1/1", Decision.DOCUMENT, "inner.zip"),
        ("2/1/2", Decision.UNSUPPORTED, "inner.zip"),
    ]


def test_tnef_attachments_are_extracted():
    winmail = make_tnef([("Rechnung.pdf", make_pdf()), ("notes.txt", b"hello")])
    mail = make_mail(html=None, attachments=[("winmail.dat", winmail, "application/ms-tnef")])

    result = extract_mail(mail.as_bytes())

    assert [(p.path, p.decision, p.filename, p.from_archive) for p in result.parts[2:]] == [
        ("2", Decision.CONTAINER, "winmail.dat", None),
        ("2/1", Decision.DOCUMENT, "Rechnung.pdf", "winmail.dat"),
        ("2/2", Decision.UNSUPPORTED, "notes.txt", "winmail.dat"),
    ]


def test_inline_images_are_ignored_and_attached_images_are_documents():
    logo = make_image("PNG")
    photo = make_image("JPEG", size=(250, 250), noisy=True)
    assert len(photo) > SMALL_INLINE_BYTES
    mail = make_mail(html='<p>Hi</p><img src="cid:logo@x">')
    html_part = mail.get_payload()[1]
    html_part.add_related(logo, maintype="image", subtype="png", cid="<logo@x>")
    mail.add_attachment(
        make_image("PNG"), maintype="image", subtype="png", filename="sig.png", disposition="inline"
    )
    mail.add_attachment(photo, maintype="image", subtype="jpeg", filename="receipt.jpg")
    mail.add_attachment(logo, maintype="image", subtype="png", filename="scan.png")

    result = extract_mail(mail.as_bytes())

    assert [(p.path, p.decision, p.kind) for p in result.parts if p.detected_type.startswith("image/")] == [
        ("1.2.2", Decision.IGNORED_INLINE, None),
        ("2", Decision.IGNORED_INLINE, None),
        ("3", Decision.DOCUMENT, DocumentKind.IMAGE),
        ("4", Decision.DOCUMENT, DocumentKind.IMAGE),
    ]
    (referenced,) = [p for p in result.parts if p.path == "1.2.2"]
    assert "cid:logo@x" in referenced.reason


def test_bodies_are_decoded_with_their_charset_and_survive_a_wrong_one():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\n"
        b"Content-Type: multipart/alternative; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nGr\xfc\xdfe\r\n"
        b"--B\r\nContent-Type: text/html; charset=gb2312\r\n\r\n"
        b"<p>Gr\xc3\xbc\xc3\x9fe</p>\r\n--B--\r\n"
    )

    result = extract_mail(raw)

    assert result.text_body.strip() == "Grüße"
    assert result.html_body.strip() == "<p>Grüße</p>"


def _single_attachment_mail(content_type: str | bytes, payload: bytes, subject: bytes = b"x") -> bytes:
    if isinstance(content_type, str):
        content_type = content_type.encode()
    return (
        b"From: a@example.com\r\nSubject: " + subject + b"\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n" + content_type + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n"
        + base64.encodebytes(payload)
        + b"\r\n--B--\r\n"
    )


def _xlsx() -> bytes:
    return make_zip([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")])
