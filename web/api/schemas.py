"""API response schemas, derived from the vocabulary and storage's read models, never copied.

Each pydantic model is built by iterating a dataclass's fields with their types; nested
vocabulary types are swapped for their models, so the OpenAPI document names every field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from storage.read_models import DocumentRead, MessageRead, PartLogRead
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
MessageOut = model_of(MessageRead, "Message", exclude=frozenset({"envelope_to"}))
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
