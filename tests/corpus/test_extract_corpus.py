"""The shared corpus of real mails and PDFs, read in place; skipped when it is absent."""

from __future__ import annotations

import email
import os
from pathlib import Path

import pytest

from inbox.extract import extract_mail
from inbox.extract.model import Decision, DocumentKind
from inbox.extract.pdf import read_pdf
from tests.builders import make_mail
from tests.safety import assert_every_part_decided_and_safely_named

CORPUS = Path(os.environ.get("INBOX_CORPUS", Path(__file__).parents[2] / ".." / "shared" / "corpus"))
PYTHON_EMAIL_DATA = Path(email.__file__).parent.parent / "test" / "test_email" / "data"

pytestmark = pytest.mark.corpus


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _corpus_mail(name: str):
    path = CORPUS / "emails" / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} absent")
    result = extract_mail(path.read_bytes())
    assert_every_part_decided_and_safely_named(result)
    return result


MAILS = _files(CORPUS / "emails")
PDFS = _files(CORPUS / "pdfs")
TNEF_STREAMS = _files(CORPUS / "emails" / "tnef")
PYTHON_MAILS = _files(PYTHON_EMAIL_DATA)


@pytest.mark.skipif(not MAILS, reason="corpus absent")
@pytest.mark.parametrize("path", MAILS, ids=_ids(MAILS))
def test_every_corpus_mail_extracts_with_decided_safely_named_parts(path):
    assert_every_part_decided_and_safely_named(extract_mail(path.read_bytes()))


@pytest.mark.skipif(not PYTHON_MAILS, reason="Python's email test data absent")
@pytest.mark.parametrize("path", PYTHON_MAILS, ids=_ids(PYTHON_MAILS))
def test_every_python_email_test_message_extracts(path):
    assert_every_part_decided_and_safely_named(extract_mail(path.read_bytes()))


@pytest.mark.skipif(not PDFS, reason="corpus absent")
@pytest.mark.parametrize("path", PDFS, ids=_ids(PDFS))
def test_every_corpus_pdf_attached_to_a_mail_gets_a_decision(path):
    mail = make_mail(attachments=[(path.name, path.read_bytes(), "application/pdf")])

    (part,) = [p for p in extract_mail(mail.as_bytes()).parts if p.filename == path.name]

    assert part.decision in (Decision.DOCUMENT, Decision.CORRUPT)
    if part.decision is Decision.DOCUMENT:
        assert part.pdf is not None
        assert part.pdf.unreadable == bool(part.pdf.reason)


@pytest.mark.parametrize(
    ("name", "pages", "encrypted", "unreadable"),
    [
        ("pypdf_r2_rc4_40bit_empty_password.pdf", 1, True, False),
        ("pypdf_r6_aes256_owner_password_only.pdf", 1, True, False),
        ("pypdf_r4_aes128_user_password.pdf", None, True, True),
        ("pypdf_aes256_password_password.pdf", None, True, True),
        ("qpdf_page_tree_loop.pdf", None, False, True),
        ("qpdf_append_xref_prev_loop.pdf", 30, False, False),
        ("qpdf_hybrid_xref.pdf", 30, False, False),
        ("qpdf_bad_xref_unrecoverable.pdf", None, False, True),
        ("qpdf_fuzz_truncated_in_xref_stream.pdf", None, False, True),
    ],
)
def test_pdf_facts_for_inspected_corpus_pdfs(name, pages, encrypted, unreadable):
    path = CORPUS / "pdfs" / name
    if not path.is_file():
        pytest.skip("corpus absent")

    facts = read_pdf(path.read_bytes()).facts

    assert (facts.pages, facts.encrypted, facts.unreadable) == (pages, encrypted, unreadable)


def test_a_non_pdf_named_pdf_is_corrupt_not_a_document():
    path = CORPUS / "pdfs" / "qpdf_not_a_pdf_5_bytes.pdf"
    if not path.is_file():
        pytest.skip("corpus absent")
    mail = make_mail(attachments=[(path.name, path.read_bytes(), "application/pdf")])

    (part,) = [p for p in extract_mail(mail.as_bytes()).parts if p.filename == path.name]

    assert part.decision is Decision.CORRUPT
    assert "not a PDF" in part.reason


def test_tnef_stream_with_a_pdf_yields_the_pdf_and_records_the_rest():
    path = CORPUS / "emails" / "tnef" / "mimekit_MAPI_ATTACH_DATA_OBJ.tnef"
    if not path.is_file():
        pytest.skip("corpus absent")
    mail = make_mail(html=None, attachments=[("winmail.dat", path.read_bytes(), "application/ms-tnef")])

    result = extract_mail(mail.as_bytes())

    inner = [(p.path, p.decision, p.filename, p.from_archive) for p in result.parts[2:]]
    assert inner == [
        ("2", Decision.CONTAINER, "winmail.dat", None),
        ("2/1", Decision.UNSUPPORTED, "VIA_Nytt_1402.doc", "winmail.dat"),
        ("2/2", Decision.DOCUMENT, "VIA_Nytt_1402.pdf", "winmail.dat"),
        ("2/3", Decision.UNSUPPORTED, "VIA_Nytt_14021.htm", "winmail.dat"),
    ]


def test_tnef_stream_with_text_files_records_them_as_unsupported():
    path = CORPUS / "emails" / "tnef" / "mimekit_two-files.tnef"
    if not path.is_file():
        pytest.skip("corpus absent")
    mail = make_mail(html=None, attachments=[("winmail.dat", path.read_bytes(), "application/ms-tnef")])

    result = extract_mail(mail.as_bytes())

    assert [(p.filename, p.decision) for p in result.parts[3:]] == [
        ("AUTHORS", Decision.UNSUPPORTED),
        ("README", Decision.UNSUPPORTED),
    ]


def _documents(result) -> list[tuple[str, str, DocumentKind | None]]:
    return [(d.path, d.filename, d.kind) for d in result.documents]


def test_mailpit_inline_image_is_ignored_and_the_pdf_is_a_document():
    result = _corpus_mail("mailpit_inline_image_and_pdf.eml")

    assert _documents(result) == [("2", "Sample PDF.pdf", DocumentKind.PDF)]
    (image,) = [p for p in result.parts if p.filename == "inline-image.jpg"]
    assert image.decision is Decision.IGNORED_INLINE


def test_pdf_sent_as_octet_stream_is_found_and_cid_gifs_are_ignored():
    result = _corpus_mail("spamscope_pdf_as_octet_stream.eml")

    assert _documents(result) == [("2", "Move To Eight ZWEP6227F.pdf", DocumentKind.PDF)]
    assert result.documents[0].pdf is not None and result.documents[0].pdf.pages == 10
    gifs = [p.decision for p in result.parts if p.detected_type == "image/gif"]
    assert gifs == [Decision.IGNORED_INLINE] * 3


def test_pdf_inside_a_forwarded_message_is_a_document():
    result = _corpus_mail("mikel_forwarded_rfc822_with_pdf.eml")

    assert _documents(result) == [("2.1.2", "broken.pdf", DocumentKind.PDF)]
    (forwarded,) = [p for p in result.parts if p.path == "2"]
    assert forwarded.decision is Decision.CONTAINER


def test_office_files_pdf_image_and_base64_forwarded_copy():
    result = _corpus_mail("phpmime_docx_pdf_odt_rfc2231_base64_rfc822.eml")

    assert _documents(result) == [
        ("3", "Hello from SwiftMailer.pdf", DocumentKind.PDF),
        ("5", "Cours-Tutoriels-Serge-Tahé-1568x268.png", DocumentKind.IMAGE),
        ("6.1.3", "Hello from SwiftMailer.pdf", DocumentKind.PDF),
        ("6.1.5", "Cours-Tutoriels-Serge-Tahé-1568x268.png", DocumentKind.IMAGE),
    ]
    office = {p.filename: p.decision for p in result.parts if p.path in ("2", "4")}
    assert office == {
        "Hello from SwiftMailer.docx": Decision.UNSUPPORTED,
        "Hello from SwiftMailer.odt": Decision.UNSUPPORTED,
    }


@pytest.mark.parametrize(
    ("name", "filename", "decision"),
    [
        ("phpmime_path_traversal_filename.eml", "1234.txt", Decision.UNSUPPORTED),
        ("phpmime_slash_in_filename.eml", "01", Decision.UNSUPPORTED),
        (
            "phpmime_pdf_latin1_encoded_word_filename_split.eml",
            "50032266 CAR 11_MNPA00A01_9PTX_H00 ATT N° 1467829.pdf",
            Decision.CORRUPT,  # ten bytes of text declared as application/pdf
        ),
        (
            "phpmime_french_utf8_encoded_word_doc_filename.eml",
            "Biodiversité de semaine en semaine.doc",
            Decision.UNSUPPORTED,
        ),
        (
            "hunnysoft_m1015_encoded_word_german_filename.eml",
            "HasenundFrösche.txt",
            Decision.UNSUPPORTED,
        ),
        (
            "hunnysoft_m3004_rfc2231_quoted_german_filename.eml",
            "HasenundFrösche.txt",
            Decision.UNSUPPORTED,
        ),
        (
            "hunnysoft_m2013_uuencode_raw_8bit_filename.eml",
            "HasenundFrösche.txt",
            Decision.UNSUPPORTED,
        ),
        ("mikel_raw_8bit_filename.eml", "ciële.txt", Decision.UNSUPPORTED),
        ("mikel_rfc2231_latin1_filename.eml", "Eelanalüüsi päring.jpg", Decision.IGNORED_INLINE),
        ("mimekit_tnef_winmail_koi8r.eml", "winmail.dat", Decision.UNSUPPORTED),
        (
            "spamscope_pdf_with_interleaved_htm_parts.eml",
            "20170609091403417.pdf",
            Decision.DOCUMENT,
        ),
    ],
)
def test_inspected_corpus_filenames_and_decisions(name, filename, decision):
    result = _corpus_mail(name)

    assert decision in [p.decision for p in result.parts if p.filename == filename]
