"""XML files embedded in a PDF, found through the EmbeddedFiles name tree and the catalog /AF.

PDF/A-3 hybrids (Factur-X, ZUGFeRD) list their XML in both places; a damaged name tree still
leaves /AF, so both are read. Only names ending in .xml are decoded, and sizes are bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from inbox.extract.xmlsafe import MAX_XML_BYTES

MAX_NAME_TREE_NODES = 1000
MAX_XML_FILES = 50


def embedded_xml_files(reader: PdfReader) -> dict[str, bytes]:
    """Embedded files whose name ends in .xml, by name, in document order; first one wins."""
    found: dict[str, bytes] = {}
    for name, filespec in _filespecs(reader):
        if len(found) >= MAX_XML_FILES:
            break
        if not name.lower().endswith(".xml") or name in found:
            continue
        data = _contents(filespec)
        if data is not None:
            found[name] = data
    return found


def _filespecs(reader: PdfReader) -> Iterator[tuple[str, DictionaryObject]]:
    # Each source is read on its own: pypdf raises many types on damaged structures.
    for source in (_name_tree_filespecs, _associated_filespecs):
        try:
            yield from list(source(reader))
        except Exception:  # noqa: S112 - a broken source must not hide the other one
            continue


def _name_tree_filespecs(reader: PdfReader) -> Iterator[tuple[str, DictionaryObject]]:
    names = _resolve(_catalog(reader).get("/Names"))
    if not isinstance(names, DictionaryObject):
        return
    pending = [_resolve(names.get("/EmbeddedFiles"))]
    seen: set[int] = set()
    while pending and len(seen) < MAX_NAME_TREE_NODES:
        node = pending.pop(0)
        if not isinstance(node, DictionaryObject) or id(node) in seen:
            continue
        seen.add(id(node))
        entries = _resolve(node.get("/Names"))
        if isinstance(entries, ArrayObject):
            for key, value in zip(entries[::2], entries[1::2], strict=False):
                filespec = _resolve(value)
                if isinstance(filespec, DictionaryObject):
                    yield _filename(filespec) or str(key), filespec
        kids = _resolve(node.get("/Kids"))
        if isinstance(kids, ArrayObject):
            pending.extend(_resolve(kid) for kid in kids)


def _associated_filespecs(reader: PdfReader) -> Iterator[tuple[str, DictionaryObject]]:
    files = _resolve(_catalog(reader).get("/AF"))
    if not isinstance(files, ArrayObject):
        return
    for value in files[:MAX_NAME_TREE_NODES]:
        filespec = _resolve(value)
        if isinstance(filespec, DictionaryObject):
            name = _filename(filespec)
            if name:
                yield name, filespec


def _contents(filespec: DictionaryObject) -> bytes | None:
    try:
        streams = _resolve(filespec.get("/EF"))
        if not isinstance(streams, DictionaryObject):
            return None
        stream = _resolve(streams.get("/UF") or streams.get("/F"))
        if not isinstance(stream, StreamObject):
            return None
        declared = _resolve(stream.get("/Length"))
        if isinstance(declared, int) and declared > MAX_XML_BYTES:
            return None
        data = stream.get_data()
    except Exception:  # a damaged stream is an unreadable attachment, not a broken PDF
        return None
    return bytes(data) if len(data) <= MAX_XML_BYTES else None


def _filename(filespec: DictionaryObject) -> str | None:
    for key in ("/UF", "/F"):
        value = _resolve(filespec.get(key))
        if isinstance(value, str) and value:
            return value
    return None


def _catalog(reader: PdfReader) -> DictionaryObject:
    catalog = _resolve(reader.trailer.get("/Root"))
    return catalog if isinstance(catalog, DictionaryObject) else DictionaryObject()


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value
