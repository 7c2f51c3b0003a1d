"""API response schemas, derived from the vocabulary and storage's read models, never copied.

Each pydantic model is built by iterating a dataclass's fields with their types; nested
vocabulary types are swapped for their models, so the OpenAPI document names every field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from storage.hooks import AttemptRead, HookRead
from storage.read_models import AuthRead, DocumentRead, MessageRead, PartLogRead
from storage.suppliers import SupplierRead
from storage.usage import Usage
from vocabulary import InvoiceFields, InvoiceLine

_CONFIG = ConfigDict(from_attributes=True)


def model_of(
    cls: type,
    name: str,
    *,
    nested: dict[type, type[BaseModel]] | None = None,
    aliases: dict[str, str] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> type[BaseModel]:
    """A response model with the dataclass's fields; `aliases` rename a field in the JSON."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {
        item.name: (
            _swap(hints[item.name], nested or {}),
            Field(serialization_alias=(aliases or {}).get(item.name)),
        )
        for item in dataclasses.fields(cls)
        if item.name not in exclude
    }
    return create_model(name, __config__=_CONFIG, __doc__=cls.__doc__, **fields)


def _swap(hint: Any, nested: dict[type, type[BaseModel]]) -> Any:
    if hint in nested:
        return nested[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return Union[tuple(_swap(arg, nested) for arg in args)]  # noqa: UP007  (built at runtime)
    if origin is tuple:
        return tuple[tuple(_swap(arg, nested) if arg is not Ellipsis else arg for arg in args)]  # type: ignore[misc]
    return hint


InvoiceLineOut = model_of(InvoiceLine, "InvoiceLine")
InvoiceOut = model_of(InvoiceFields, "Invoice", nested={InvoiceLine: InvoiceLineOut})
# The document's mail is "message" in the JSON contract (DESIGN.md).
DocumentOut = model_of(
    DocumentRead, "Document", nested={InvoiceFields: InvoiceOut}, aliases={"message_id": "message"}
)
# The inbox address a mail was sent to is a credential: pages show it, the API does not.
AuthOut = model_of(AuthRead, "AuthResults")
MessageOut = model_of(MessageRead, "Message", nested={AuthRead: AuthOut}, exclude=frozenset({"envelope_to"}))
PartLogOut = model_of(PartLogRead, "PartLog")


class MessageDetail(MessageOut):  # type: ignore[misc,valid-type]
    """One mail with its per-part processing log."""

    parts: list[PartLogOut]  # type: ignore[valid-type]


class DocumentPage(BaseModel):
    items: list[DocumentOut]  # type: ignore[valid-type]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last page")


class MessagePage(BaseModel):
    items: list[MessageOut]  # type: ignore[valid-type]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last page")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


def message_detail_out(message: MessageRead, parts: list[PartLogRead]) -> MessageDetail:
    values = MessageOut.model_validate(message).model_dump()
    return MessageDetail(**values, parts=[PartLogOut.model_validate(p) for p in parts])


def document_json(document: DocumentRead) -> dict[str, Any]:
    """The document object exactly as the API answers it (also a webhook's `data`)."""
    return DocumentOut.model_validate(document).model_dump(mode="json", by_alias=True)


def message_json(message: MessageRead) -> dict[str, Any]:
    return MessageOut.model_validate(message).model_dump(mode="json", by_alias=True)


SupplierOut = model_of(SupplierRead, "Supplier")
HookAttemptOut = model_of(AttemptRead, "HookAttempt")
# The secret is shown when the subscription is made; lists leave it out.
HookCreatedOut = model_of(HookRead, "HookCreated")
HookOut = model_of(HookRead, "Hook", exclude=frozenset({"secret"}))
UsageOut = model_of(Usage, "Usage")


class SupplierIn(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    emails: list[str] = Field(default_factory=list, max_length=50)
    vat_id: str | None = Field(default=None, max_length=50)
    iban: str | None = Field(default=None, max_length=50)


class HookIn(BaseModel):
    event: Literal["document.created", "message.failed"]
    target_url: str = Field(min_length=1, max_length=2000)


class SupplierPage(BaseModel):
    items: list[SupplierOut]  # type: ignore[valid-type]


class HookPage(BaseModel):
    items: list[HookOut]  # type: ignore[valid-type]


class HookAttemptPage(BaseModel):
    items: list[HookAttemptOut]  # type: ignore[valid-type]


class Delivery(BaseModel):
    """A webhook's body, as POSTed to the subscriber (Standard Webhooks)."""

    type: str
    timestamp: str
    data: dict[str, Any]


class SamplePage(BaseModel):
    items: list[Delivery]


class MeAccount(BaseModel):
    id: str
    name: str
    inbox_address: str


class MeToken(BaseModel):
    id: str
    name: str
    scopes: list[str]


class Me(BaseModel):
    account: MeAccount
    token: MeToken | None = Field(description="the token used; null for a browser session")


class Uploaded(BaseModel):
    message: MessageOut  # type: ignore[valid-type]
    documents: list[DocumentOut]  # type: ignore[valid-type]
