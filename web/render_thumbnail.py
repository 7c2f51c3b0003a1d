"""Child process: render the first page of an untrusted PDF (or an image) as a small PNG.

Run as `python -m web.render_thumbnail KIND [PAGE WIDTH]` with the file's bytes on stdin; the
PNG goes to stdout. Without PAGE and WIDTH it is the first page as a thumbnail; with them, one
page at that width (the detail page shows these on phones, which show no PDF inline).
The parent kills it after a timeout; here the address space and CPU time are capped
before the file is read, so a hostile file can exhaust only this process. It gets bytes, not
a path: it knows nothing of the blob store.
"""

from __future__ import annotations

import io
import resource
import sys

MEMORY_BYTES = 768 * 1024 * 1024
CPU_SECONDS = 20
SIZE = (240, 320)  # a portrait page at 2x the list's 36x48 and the detail page's 120x160


MAX_WIDTH = 1600


def render(kind: str, data: bytes, page_number: int = 0, width: int = SIZE[0]) -> bytes:
    from PIL import Image  # imported after the limits are set, like everything that parses

    size = (width, width * 2) if page_number or width != SIZE[0] else SIZE
    if kind == "pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
        try:
            page = document[page_number]
            page_width = page.get_width() or 1
            image = page.render(scale=min(4.0, size[0] * 2 / page_width)).to_pil()
        finally:
            document.close()
    else:
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", size)  # JPEG: decode at reduced size
    image = _on_white(image)
    image.thumbnail(size)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _on_white(image):
    """Transparent parts drawn on white, as on paper (converted directly they turn black)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def main() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    kind = sys.argv[1]
    page_number, width = (
        (int(sys.argv[2]), min(int(sys.argv[3]), MAX_WIDTH)) if len(sys.argv) > 3 else (0, SIZE[0])
    )
    try:
        png = render(kind, sys.stdin.buffer.read(), page_number, width)
    except Exception as err:  # any failure is an answer ("no thumbnail"), reported to the parent
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
