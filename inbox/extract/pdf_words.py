"""Words and their boxes from a PDF's text layer, read with pdfium.

pdfium rather than pdfplumber: it is already a dependency (thumbnails), it is C and reads a
page in milliseconds where pdfminer takes a large share of a second, and it gives every
character's box, which is all the layout needs. Characters are joined into words here: a
space, a control character, a jump to another line, or a gap wider than a third of the
character height ends a word.

The same pass gives pdfium's text of the pages, the text kept for search: one reading of the
text layer instead of a second one by pypdf (measured about 8x faster over the corpus).
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from inbox.extract.layout import MAX_WORDS, Word

MAX_PAGES = 20  # read for words
MAX_TEXT_PAGES = 50  # read for the search text
MAX_TEXT_CHARS = 200_000
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


@dataclass(frozen=True, slots=True)
class TextLayer:
    words: list[Word]  # of the first MAX_PAGES pages, at most MAX_WORDS
    text: str  # of the first MAX_TEXT_PAGES pages, at most MAX_TEXT_CHARS


def text_layer(document: pdfium.PdfDocument, text_pages: int = MAX_TEXT_PAGES) -> TextLayer:
    """The words with their boxes and the plain text, from one load of each page's text."""
    words: list[Word] = []
    texts: list[str] = []
    chars = 0
    for index in range(min(len(document), max(MAX_PAGES, text_pages))):
        want_words = index < MAX_PAGES and len(words) < MAX_WORDS
        want_text = index < text_pages and chars < MAX_TEXT_CHARS
        if not (want_words or want_text):
            break
        try:
            page = document[index]
            textpage = page.get_textpage()
            if want_words:
                words.extend(_page_words(page.get_height(), textpage, index))
            if want_text:
                count = min(textpage.count_chars(), MAX_TEXT_CHARS - chars)
                text = textpage.get_text_range(0, count).replace("\r\n", "\n") if count > 0 else ""
                texts.append(text)
                chars += len(text)
        except pdfium.PdfiumError:  # one broken page does not hide the others
            continue
    return TextLayer(words[:MAX_WORDS], "\n".join(texts)[:MAX_TEXT_CHARS])


def pdf_words(document: pdfium.PdfDocument) -> list[Word]:
    return text_layer(document, text_pages=0).words


def _page_words(height: float, textpage: pdfium.PdfTextPage, index: int) -> list[Word]:
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
