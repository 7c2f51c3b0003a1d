"""Pictures of invoices as a flatbed scanner or a phone would make them, for measuring OCR.

Deterministic: the same PDF and seed give the same picture. A page is rendered at a scanner's
resolution, turned by a slight angle, blurred a little, and sprinkled with dust; a photo is
also darker on one side and saved as a JPEG.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageFilter

from inbox.extract.pdf_words import open_pdf, render_pages

SCAN_DPI = 200
MAX_ANGLE = 2.0  # degrees
DUST = 1 / 800  # share of pixels flipped to black or white


def scanned_pages(pdf: bytes, seed: int, pages: int = 2) -> list[Image.Image]:
    document = open_pdf(pdf)
    if document is None:
        return []
    try:
        rendered = render_pages(document, pages, dpi=SCAN_DPI)
    finally:
        document.close()
    rng = random.Random(seed)
    return [degrade(page, rng) for page in rendered]


def degrade(page: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(-MAX_ANGLE, MAX_ANGLE)
    image = page.convert("L").rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    for _ in range(int(image.width * image.height * DUST)):
        image.putpixel((rng.randrange(image.width), rng.randrange(image.height)), rng.choice((0, 255)))
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))


def as_pdf(images: list[Image.Image]) -> bytes:
    """An image-only PDF, as a scanner writes it: no text layer."""
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", resolution=SCAN_DPI, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def as_photo(image: Image.Image, seed: int) -> bytes:
    """A phone photo of the page: uneven light, JPEG."""
    rng = random.Random(seed)
    shade = Image.linear_gradient("L").rotate(rng.choice((90, 180, 270)), expand=True)
    shade = shade.resize(image.size).point(lambda v: 255 - v // 4)
    lit = Image.composite(image, Image.new("L", image.size, 0), shade).convert("RGB")
    buffer = io.BytesIO()
    lit.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
