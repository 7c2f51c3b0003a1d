"""Taking documents out: several as one streamed ZIP, the current list as CSV."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from storage.db import Store
from storage.document_search import DocumentFilter, iter_documents
from storage.documents import get_document
from storage.read_models import DocumentRead
from vocabulary import INVOICE_FIELDS, InvoiceType, flat_name
from web.datev import bookings_of, datev_file
from web.deps import FormCaller, PageCaller, StoreDep
from web.filenames import content_disposition, unique_names
from web.i18n import N_, request_language
from web.listing import filter_from_query

router = APIRouter()
MAX_ZIP_DOCUMENTS = 500
CHUNK = 256 * 1024
# Every invoice field that fits in one cell, named as in flat tables, between the mail's facts.
CSV_INVOICE_FIELDS = tuple(name for name in INVOICE_FIELDS if name not in ("confidence", "lines"))
CSV_COLUMNS = (
    "received_at",
    *(flat_name(name) for name in CSV_INVOICE_FIELDS),
    *("sender", "subject", "filename", "kind", "status", "id"),
)
PLAIN_NUMBER = re.compile(r"-?\d+([.,]\d+)?")


@router.post("/documents/zip")
def download_zip(
    caller: FormCaller,
    store: StoreDep,
    ids: Annotated[list[str] | None, Form(alias="id")] = None,
) -> StreamingResponse:
    if not ids:
        raise HTTPException(status_code=400, detail=N_("Select at least one document."))
    if len(ids) > MAX_ZIP_DOCUMENTS:
        raise HTTPException(status_code=400, detail=N_("Too many documents for one ZIP."))
    with store.session() as session:
        docs = [
            get_document(session=session, account_id=caller.account.id, document_id=doc_id)
            for doc_id in dict.fromkeys(ids)
        ]
    return StreamingResponse(
        _zip_stream(store, docs),
        media_type="application/zip",
        headers={
            "Content-Disposition": content_disposition("attachment", "documents.zip"),
            "Cache-Control": "private, no-store",
        },
    )


class _Chunks(io.RawIOBase):
    """An unseekable sink zipfile writes into; what it wrote is taken out between writes."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.pending.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.pending = b"".join(self.pending), []
        return data


def _zip_stream(store: Store, docs: list[DocumentRead]) -> Iterator[bytes]:
    """The archive, produced as it is sent: memory stays at one chunk whatever the total."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for doc, name in zip(docs, unique_names([d.filename for d in docs]), strict=True):
            info = zipfile.ZipInfo(name, date_time=doc.received_at.timetuple()[:6])
            with archive.open(info, "w") as out:
                for chunk in store.blobs.stream(doc.sha256, CHUNK):
                    out.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


@router.get("/documents.csv")
def export_csv(request: Request, caller: PageCaller, store: StoreDep) -> StreamingResponse:
    filters = filter_from_query(request.query_params)
    lang = request_language(request, caller.user.language if caller.user else "")
    return StreamingResponse(
        _csv_stream(store, caller.account.id, filters, CsvStyle.for_language(lang)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition("attachment", "documents.csv"),
            "Cache-Control": "private, no-store",
        },
    )


@dataclass(frozen=True, slots=True)
class CsvStyle:
    """What spreadsheets in a language expect: French and German ones split on `;` and read
    a decimal comma (a `,` there would split every amount in two)."""

    delimiter: str = ","
    decimal: str = "."

    @classmethod
    def for_language(cls, lang: str) -> CsvStyle:
        return cls(delimiter=";", decimal=",") if lang in ("fr", "de") else cls()


@router.get("/documents.datev.csv")
def export_datev(request: Request, caller: PageCaller, store: StoreDep) -> Response:
    """The list (its filter, or the selected ids) as a DATEV Buchungsstapel."""
    filters = filter_from_query(request.query_params)
    chosen = set(request.query_params.getlist("id"))
    with store.session() as session:
        docs = [
            doc
            for doc in iter_documents(session=session, account_id=caller.account.id, filters=filters)
            if not chosen or doc.id in chosen
        ]
    return Response(
        datev_file(bookings_of(docs), created=datetime.now(UTC)),
        media_type="text/csv; charset=windows-1252",
        headers={
            "Content-Disposition": content_disposition("attachment", "EXTF_Buchungsstapel.csv"),
            "Cache-Control": "private, no-store",
        },
    )


def _csv_stream(store: Store, account_id: str, filters: DocumentFilter, style: CsvStyle) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()  # the BOM makes spreadsheet programs read UTF-8
    with store.session() as session:
        for doc in iter_documents(session=session, account_id=account_id, filters=filters):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_cell(value) for value in _csv_row(doc, style)])
            yield buffer.getvalue()


def _csv_row(doc: DocumentRead, style: CsvStyle) -> list[str]:
    invoice = [_invoice_value(doc, name) for name in CSV_INVOICE_FIELDS]
    mail = [doc.sender, doc.subject, doc.filename, doc.kind, doc.status, doc.id]
    return [_text(value, style) for value in (doc.received_at, *invoice, *mail)]


def _invoice_value(doc: DocumentRead, name: str) -> object:
    """A field's value; a credit note's amounts negative, as they reduce what is owed."""
    value = getattr(doc.invoice, name) if doc.invoice else None
    if isinstance(value, Decimal) and doc.invoice and doc.invoice.type == InvoiceType.CREDIT_NOTE:
        return -abs(value)
    return value


def _text(value: object, style: CsvStyle) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", style.decimal)
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _cell(value: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
