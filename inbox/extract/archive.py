"""ZIP archives read in memory, within bounds. Entry names are data, never paths."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

from inbox.extract.hints import Hint
from inbox.extract.model import Decision
from inbox.extract.ocr import OcrAllowance

MAX_ENTRIES = 500
MAX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ARCHIVE_DEPTH = 2  # an archive inside an archive is opened; one more level is not

OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One file inside an archive (or a TNEF stream): its bytes, or why there are none."""

    name: str
    size: int
    payload: bytes | None
    decision: Decision | None = None  # set when the entry could not be read
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Unpacked:
    """What an archive held. `refused` set means the archive as a whole was not opened."""

    entries: tuple[Entry, ...] = ()
    refused: Decision | None = None
    reason: str = ""
    detected_type: str = "application/zip"


@dataclass(slots=True)
class Budget:
    """Entries, bytes and OCR seconds still allowed for one mail, shared by nested archives;
    and what corrections taught about where the sender prints its fields."""

    entries: int = MAX_ENTRIES
    total_bytes: int = MAX_TOTAL_BYTES
    ocr: OcrAllowance = field(default_factory=OcrAllowance)
    hints: tuple[Hint, ...] = ()


def read_zip(payload: bytes, budget: Budget) -> Unpacked:
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        return Unpacked(refused=Decision.CORRUPT, reason=f"zip: {err}"[:200])
    office = _office_type(archive, infos)
    if office:
        return Unpacked(refused=Decision.UNSUPPORTED, reason="office document", detected_type=office)
    if len(infos) > budget.entries:
        return Unpacked(refused=Decision.TOO_LARGE, reason=f"{len(infos)} entries, limit {budget.entries}")
    budget.entries -= len(infos)
    # Bytes are counted entry by entry: one entry over what is left is too large on its own,
    # and the invoices beside it are still read.
    return Unpacked(entries=tuple(_read_entry(archive, info, budget) for info in infos))


def _office_type(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str:
    """docx/xlsx/odt are ZIPs too; they are office documents, not archives of files."""
    names = [info.filename for info in infos]
    if "[Content_Types].xml" in names:
        for prefix, mime in OOXML_TYPES.items():
            if any(name.startswith(prefix) for name in names):
                return mime
        return "application/vnd.openxmlformats-officedocument"
    if names[:1] == ["mimetype"] and infos[0].file_size < 200:
        try:
            return archive.read(infos[0]).decode("ascii", "replace").strip()
        except Exception:  # an unreadable mimetype entry: treat as an ordinary archive
            return ""
    return ""


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> Entry:
    name, size = info.filename, info.file_size
    if info.is_dir():
        return Entry(name.rstrip("/"), 0, None, Decision.CONTAINER, "folder in the archive")
    if info.flag_bits & 0x1:
        return Entry(name, size, None, Decision.UNSUPPORTED, "encrypted archive entry")
    ratio = size / max(info.compress_size, 1)
    if ratio > MAX_RATIO:
        return Entry(name, size, None, Decision.TOO_LARGE, f"compression ratio {ratio:.0f} > {MAX_RATIO}")
    if size > budget.total_bytes:
        return Entry(
            name, size, None, Decision.TOO_LARGE, f"{size} bytes uncompressed, limit {budget.total_bytes}"
        )
    try:
        with archive.open(info) as handle:
            data = handle.read(size + 1)  # never more than declared, however the data lies
    except (
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        ValueError,  # zipfile's "negative seek value" on a lying local header
    ) as err:
        return Entry(name, size, None, Decision.CORRUPT, f"zip: {err}"[:200])
    if len(data) > size:
        return Entry(name, size, None, Decision.CORRUPT, "entry larger than its declared size")
    budget.total_bytes -= len(data)
    return Entry(name, len(data), data)
