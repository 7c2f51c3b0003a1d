"""Words from pictures of invoices (scans, phone photos, PDFs without a text layer) by Tesseract.

Tesseract's own command-line program rather than ocrmypdf: we need words with their boxes for
the layout reader and the text for search, not a new PDF; ocrmypdf would add Ghostscript,
qpdf and a PDF/A rewrite per document, several times the time and memory, for a file we do not
keep. The binary reads the image on stdin and writes TSV (a box per word) on stdout: no
temporary files. It runs in the extraction child, so it inherits that process's address-space
limit; each call has a timeout and the whole mail shares one allowance of OCR seconds.

Pages are evened out and straightened first: uneven light lifted to white, a quarter turn
from Tesseract's orientation detection when the first reading is poor, and a slight skew
measured here (the angle at which rows of text give the sharpest horizontal profile).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageOps

from inbox.extract.layout import Word

LANGUAGES = "deu+fra+eng"
MAX_OCR_SECONDS = 40.0  # per mail, shared by its pages and images; under the parse timeout
CALL_TIMEOUT = 25.0
MAX_PAGES = 5  # the fields are on the first pages; more would only feed search
MAX_PIXELS = 40_000_000  # a larger image is refused before decoding (a decompression bomb)
TARGET_WIDTH = 2480  # A4 at 300 dpi: Tesseract reads body text best at this size
MIN_CONFIDENCE = 30  # words Tesseract is less sure of are noise more often than text
POOR_READING = 60  # a mean word confidence below this may mean the page lies on its side
MAX_SKEW = 5.0  # degrees
OCR_SPECKS = "‘’“”„«»|©®~_¦"  # dust and rules read as marks at the edges of words
SKEW_STEP = 0.5
SKEW_FINE = 0.1
SURE_FIGURE = 90  # a sparse reading this sure of a figure...
UNSURE_FIGURE = 60  # ...replaces page-reading words under it that are less sure than this
SPARSE = "11"  # Tesseract's page segmentation mode for a second reading of lone words


Sure = tuple[Word, float]  # a word and Tesseract's confidence in it (0-100)


@dataclass(frozen=True, slots=True)
class OcrReading:
    words: tuple[Word, ...] = ()
    note: str = ""  # why there is no text, when there is none


@dataclass(slots=True)
class OcrAllowance:
    """Seconds of OCR still allowed for one mail, and for one call of Tesseract."""

    seconds: float = MAX_OCR_SECONDS
    call_seconds: float = CALL_TIMEOUT


def available() -> bool:
    return shutil.which("tesseract") is not None


def read_image(payload: bytes, allowance: OcrAllowance) -> OcrReading:
    """Words of an attached image (JPEG, PNG, TIFF, WebP): its first frame."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(payload))
            if opened.width * opened.height > MAX_PIXELS:
                return OcrReading(note=f"image of {opened.width}×{opened.height} px is too large to read")
            image = ImageOps.exif_transpose(opened)
            image.load()
    except Exception as err:  # noqa: BLE001 -- Pillow raises many types on damaged images
        return OcrReading(note=f"image unreadable: {str(err)[:200] or type(err).__name__}")
    return read_pages([image], allowance)


def read_pages(images: list[Image.Image], allowance: OcrAllowance) -> OcrReading:
    if not available():
        return OcrReading(note="OCR unavailable: tesseract is not installed")
    words: list[Word] = []
    for index, image in enumerate(images[:MAX_PAGES]):
        if allowance.seconds <= 1:
            return OcrReading(tuple(words), note="OCR stopped: the mail's OCR time is used up")
        try:
            words.extend(_read_page(_prepare(image), index, allowance))
        except subprocess.TimeoutExpired:
            return OcrReading(tuple(words), note=f"OCR of page {index + 1} took too long")
        except subprocess.CalledProcessError as err:
            said = err.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] if err.stderr else []
            reason = said[0] if said else f"exit status {err.returncode}"
            return OcrReading(tuple(words), note=f"OCR failed on page {index + 1}: {reason[:200]}")
        except OSError as err:
            return OcrReading(tuple(words), note=f"OCR failed: {str(err)[:200]}")
    return OcrReading(tuple(words), note="" if words else "OCR found no text")


def _prepare(image: Image.Image) -> Image.Image:
    gray = flatten_light(image.convert("L"))
    if gray.width != TARGET_WIDTH and gray.width < TARGET_WIDTH * 2:
        scale = TARGET_WIDTH / gray.width
        if scale > 1 or gray.width > TARGET_WIDTH * 1.5:
            gray = gray.resize((TARGET_WIDTH, max(1, round(gray.height * scale))), Image.Resampling.LANCZOS)
    angle = skew_angle(gray)
    if angle:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return gray


def flatten_light(gray: Image.Image) -> Image.Image:
    """Even out the light of a photo: Tesseract thresholds a page as a whole, so a shadow over
    one side loses its words. The paper's brightness is estimated on a coarse grid (the
    brightest nearby cell, so text does not count) and lifted to white everywhere."""
    coarse = gray.resize((max(1, gray.width // 16), max(1, gray.height // 16)), Image.Resampling.BOX)
    paper = coarse.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))
    return ImageChops.add(gray, ImageOps.invert(paper.resize(gray.size, Image.Resampling.BILINEAR)))


def skew_angle(gray: Image.Image) -> float:
    """The small rotation that makes text rows horizontal: the angle whose row profile (ink per
    row, of a shrunk black-and-white copy) varies most, since level rows alternate ink and gap."""
    small = gray.copy()
    small.thumbnail((800, 800))
    ink = ImageOps.invert(small).point(lambda v: 255 if v > 100 else 0)
    coarse = _sharpest(
        ink, [step * SKEW_STEP for step in range(-int(MAX_SKEW / SKEW_STEP), int(MAX_SKEW / SKEW_STEP) + 1)]
    )
    # Then to a tenth of a degree: a quarter degree left over drifts a line by ten pixels
    # across an A4 page at 300 dpi, enough to split a label from its value into two lines.
    fine = [round(coarse + tenth * SKEW_FINE, 2) for tenth in range(-4, 5)]
    return _sharpest(ink, fine)


def _sharpest(ink: Image.Image, angles: list[float]) -> float:
    best, best_score = 0.0, -1.0
    for angle in angles:
        turned = ink.rotate(angle, resample=Image.Resampling.NEAREST, expand=False, fillcolor=0)
        rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
        mean = sum(rows) / len(rows)
        score = sum((r - mean) ** 2 for r in rows)
        if score > best_score + 1e-9 or (abs(score - best_score) <= 1e-9 and abs(angle) < abs(best)):
            best, best_score = angle, score
    return best


def _read_page(image: Image.Image, index: int, allowance: OcrAllowance) -> list[Word]:
    png = _png(image)
    words, confidence = _tesseract_words(png, index, allowance)
    if confidence < POOR_READING and allowance.seconds > 1:
        turn = _orientation(png, allowance)
        if turn:
            turned = _png(image.rotate(-turn, expand=True, fillcolor=255))
            again, again_confidence = _tesseract_words(turned, index, allowance)
            if again_confidence > confidence:
                words, png = again, turned
    if allowance.seconds > 1:
        words = with_sparse_figures(words, _tesseract_words(png, index, allowance, psm=SPARSE)[0])
    return [word for word, _ in words]


def with_sparse_figures(words: list[Sure], sparse: list[Sure]) -> list[Sure]:
    """Figures from a second, sparse reading added to the page reading. Tesseract's page layout
    drops a small amount standing alone at the right edge of a table, and misreads a figure
    it ran together with its neighbours ("285,62" at 41% where the sparse reading is sure of
    "235,62"); the sparse mode reads each blob of text on its own. Only words with a digit
    are taken (labels read better in the page layout): where the page reading has no word,
    or has only words it was unsure of."""
    kept = list(words)
    for figure, sure in sparse:
        if not any(ch.isdigit() for ch in figure.text):
            continue
        under = [(word, c) for word, c in kept if _overlap(word, figure)]
        if not under:
            kept.append((figure, sure))
        elif sure >= SURE_FIGURE and all(c < UNSURE_FIGURE for _, c in under) and _covers(figure, under):
            kept = [(word, c) for word, c in kept if (word, c) not in under] + [(figure, sure)]
    return kept


def _covers(figure: Word, under: list[Sure]) -> bool:
    """Whether the figure is the same blob read better, not a fragment of it ("31" of an
    unsure "31901,60"): it has as many digits as the words it would replace (one may be lost
    to a misread). Boxes do not tell: the page layout's box of a misread figure often runs
    over its neighbours."""
    digits = sum(ch.isdigit() for w, _ in under for ch in w.text)
    return sum(ch.isdigit() for ch in figure.text) >= digits - 1


def _overlap(a: Word, b: Word) -> bool:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    return width > 0 and height > 0


def _tesseract_words(
    png: bytes, index: int, allowance: OcrAllowance, psm: str = "3"
) -> tuple[list[Sure], float]:
    output = _run(["tesseract", "stdin", "stdout", "-l", LANGUAGES, "--psm", psm, "tsv"], png, allowance)
    words: list[Sure] = []
    for row in output.splitlines()[1:]:
        columns = row.split("\t")
        text = columns[11].strip().strip(OCR_SPECKS) if len(columns) >= 12 else ""
        if columns[0] != "5" or not text:
            continue
        left, top, width, height = (int(c) for c in columns[6:10])
        confidence = float(columns[10])
        if confidence < MIN_CONFIDENCE:
            continue
        words.append((Word(text, index, left, top, left + width, top + height), confidence))
    mean = sum(c for _, c in words) / len(words) if words else 0.0
    return words, mean if len(words) >= 10 else 0.0


def _orientation(png: bytes, allowance: OcrAllowance) -> int:
    """Degrees the page is turned clockwise (0, 90, 180, 270), from Tesseract's detection."""
    try:
        output = _run(["tesseract", "stdin", "stdout", "--psm", "0"], png, allowance)
    except subprocess.CalledProcessError:  # too little text to tell: leave it as it is
        return 0
    for line in output.splitlines():
        if line.startswith("Rotate:"):
            return int(line.split(":")[1]) % 360
    return 0


def _run(command: list[str], stdin: bytes, allowance: OcrAllowance) -> str:
    started = time.monotonic()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per extraction child
    try:
        done = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            timeout=min(allowance.call_seconds, allowance.seconds),
            check=True,
            env=env,
        )
    finally:
        allowance.seconds -= time.monotonic() - started
    return done.stdout.decode("utf-8", "replace")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
