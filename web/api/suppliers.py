"""Suppliers: create-or-update (the import action), list, get."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from storage import suppliers
from storage.usage import suppliers_over_quota
from web.api.errors import ApiError
from web.api.schemas import SupplierIn, SupplierOut, SupplierPage
from web.deps import DocumentsReader, StoreDep, SuppliersWriter

router = APIRouter()


@router.post(
    "/suppliers", status_code=201, responses={200: {"model": SupplierOut}, 201: {"model": SupplierOut}}
)
def upsert_supplier(body: SupplierIn, caller: SuppliersWriter, store: StoreDep) -> JSONResponse:
    """Create a supplier (201), or update the one with this VAT id, else with one of these
    e-mails (200). Documents from it are matched to it from now on, and those already stored."""
    wanted = suppliers.SupplierIn(
        name=body.name.strip(), emails=tuple(body.emails), vat_id=body.vat_id, iban=body.iban
    )
    if not wanted.name:
        raise ApiError(400, "bad_parameter", "name: must not be empty")
    with store.session() as session:
        account_id = caller.account.id
        exists = suppliers.find_supplier(session=session, account_id=account_id, supplier=wanted)
        over = None if exists else suppliers_over_quota(session=session, account_id=account_id)
        if over is not None:
            raise ApiError(
                429,
                "quota_exceeded",
                f"the plan's {over.what} are used up",
                {"Retry-After": str(over.retry_after_seconds)},
            )
        row, created = suppliers.upsert_supplier(session=session, account_id=account_id, supplier=wanted)
    content = SupplierOut.model_validate(row).model_dump(mode="json")
    return JSONResponse(content, status_code=201 if created else 200)


@router.get("/suppliers")
def list_suppliers(caller: DocumentsReader, store: StoreDep) -> SupplierPage:
    with store.session() as session:
        rows = suppliers.list_suppliers(session=session, account_id=caller.account.id)
    return SupplierPage.model_validate({"items": rows}, from_attributes=True)


@router.get("/suppliers/{supplier_id}")
def get_supplier(supplier_id: str, caller: DocumentsReader, store: StoreDep) -> SupplierOut:  # type: ignore[valid-type]
    with store.session() as session:
        row = suppliers.get_supplier(session=session, account_id=caller.account.id, supplier_id=supplier_id)
    return SupplierOut.model_validate(row)
