"""Content-Disposition for names that came from mail (RFC 6266, RFC 5987)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote


def content_disposition(kind: str, filename: str) -> str:
    name = unicodedata.normalize("NFC", filename) or "document"
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\"')
    fallback = name.encode("ascii", "ignore").decode() or "document"
    fallback = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in fallback)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def safe_file_name(filename: str, max_length: int = 120) -> str:
    """A name from mail made safe as a file name inside an archive: no path, no controls."""
    name = unicodedata.normalize("NFC", filename)
    name = "".join("_" if ch in '/\\:*?"<>|' else ch for ch in name if ch.isprintable())
    name = name.strip(" .") or "document"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = name, ""
    stem = stem[: max_length - len(ext) - 1]
    if _reserved_on_windows(stem):
        stem = "_" + stem
    return f"{stem}.{ext}" if ext else stem


# Device names Windows opens instead of a file, whatever the extension: "CON.pdf", "nul".
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{device}{n}" for device in ("com", "lpt") for n in [*"123456789", "¹", "²", "³"]}
)


def _reserved_on_windows(stem: str) -> bool:
    return stem.split(".", 1)[0].rstrip(" ").lower() in _WINDOWS_DEVICES


def unique_names(filenames: list[str]) -> list[str]:
    """Safe names, made distinct (case-insensitively) by numbering repeats: "a.pdf", "a (2).pdf"."""
    taken: set[str] = set()
    result = []
    for filename in filenames:
        name = safe_file_name(filename)
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        number = 1
        while name.lower() in taken:
            number += 1
            name = f"{stem} ({number}){dot}{ext}"
        taken.add(name.lower())
        result.append(name)
    return result
