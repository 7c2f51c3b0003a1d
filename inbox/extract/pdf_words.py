"""Words and their boxes from a PDF's text layer, read with pdfium.

pdfium rather than pdfplumber: it is already a dependency (thumbnails), it is C and reads a
page in milliseconds where pdfminer takes a large share of a second, and it gives every
character's box, which is all the layout needs. Characters are joined into words here: a
space, a control character, a jump to another line, or a gap wider than a third of the
character height ends a word.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from inbox.extract.layout import MAX_WORDS, Word

MAX_PAGES = 20
MAX_CHARS_PER_PAGE = 50_000
MAX_RENDER_PIXELS = 12_000_000  # A4 at 300 dpi is 8.7 million
SCAN_COVERAGE = 1 / 3
MIN_PAGE_SIDE = 72  # points: an inch; a smaller page box is damage, not paper
A4 = (595.28, 841.89)
WORD_GAP = 0.5  # in character heights (loose boxes: font ascent to descent)


def open_pdf(payload: bytes) -> pdfium.PdfDocument | None:
    try:
        return pdfium.PdfDocument(payload)
    except pdfium.PdfiumError:
        return None


def pdf_words(document: pdfium.PdfDocument) -> list[Word]:
    words: list[Word] = []
    for index in range(min(len(document), MAX_PAGES)):
        try:
            page = document[index]
            words.extend(_page_words(page, index))
        except pdfium.PdfiumError:  # one broken page does not hide the others
            continue
        if len(words) >= MAX_WORDS:
            break
    return words[:MAX_WORDS]


def _page_words(page: pdfium.PdfPage, index: int) -> list[Word]:
    height = page.get_height()
    textpage = page.get_textpage()
    words: list[Word] = []
    chars: list[str] = []
    box: list[float] = []  # left, bottom, right, top of the word so far
    char_height = 0.0

    def flush() -> None:
        if chars:
            left, bottom, right, top = box
            words.append(Word("".join(chars), index, left, height - top, right, height - bottom))
            chars.clear()

    for i in range(min(textpage.count_chars(), MAX_CHARS_PER_PAGE)):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
        if char.isspace() or not char.isprintable():
            flush()
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        if chars:
            gap = left - box[2]
            new_line = bottom > box[3] or top < box[1]
            if new_line or gap > WORD_GAP * max(char_height, top - bottom) or gap < -char_height:
                flush()
        if not chars:
            box = [left, bottom, right, top]
            char_height = top - bottom
        else:
            box = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
            char_height = max(char_height, top - bottom)
        chars.append(char)
    flush()
    return words


def render_pages(document: pdfium.PdfDocument, pages: int, dpi: int = 300) -> list[Image.Image]:
    """Pages as grayscale images for OCR, at most `pages` of them, each within MAX_RENDER_PIXELS."""
    images = []
    for index in range(min(len(document), pages)):
        try:
            page = document[index]
            width, height = page.get_size()
            if min(width, height) < MIN_PAGE_SIDE:  # a broken page box: draw the page as A4
                width, height = A4
                page.set_mediabox(0, 0, width, height)
                page.set_cropbox(0, 0, width, height)
            scale = min(dpi / 72, (MAX_RENDER_PIXELS / max(width * height, 1)) ** 0.5)
            images.append(page.render(scale=scale, grayscale=True).to_pil())
        except pdfium.PdfiumError:
            continue
    return images


def has_page_images(document: pdfium.PdfDocument, pages: int) -> bool:
    """Whether a page is mostly a picture (a scan): an image covering a third of it or more."""
    for index in range(min(len(document), pages)):
        try:
            page = document[index]
            width, height = page.get_size()
            for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
                left, bottom, right, top = image.get_bounds()
                if (right - left) * (top - bottom) >= SCAN_COVERAGE * width * height:
                    return True
        except pdfium.PdfiumError:
            continue
    return False
