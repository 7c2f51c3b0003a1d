"""Child process: render the first page of an untrusted PDF (or an image) as a small PNG.

Run as `python -m web.render_thumbnail KIND` with the file's bytes on stdin; the PNG goes to
stdout. The parent kills it after a timeout; here the address space and CPU time are capped
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


def render(kind: str, data: bytes) -> bytes:
    from PIL import Image  # imported after the limits are set, like everything that parses

    if kind == "pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
        try:
            page = document[0]
            width = page.get_width() or 1
            image = page.render(scale=min(4.0, SIZE[0] * 2 / width)).to_pil()
        finally:
            document.close()
    else:
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", SIZE)  # JPEG: decode at reduced size
    image = image.convert("RGB")
    image.thumbnail(SIZE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    kind = sys.argv[1]
    try:
        png = render(kind, sys.stdin.buffer.read())
    except Exception as err:  # any failure is an answer ("no thumbnail"), reported to the parent
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
