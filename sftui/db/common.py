"""Helpers shared by the query modules: transactions, validation, not-found."""

from __future__ import annotations

from typing import Any, TypeVar

import peewee as pw
from pydantic import BaseModel, TypeAdapter, ValidationError

from sftui.db.models import database
from sftui.db.values import dump_json
from sftui.errors import DatabaseError, NotFoundError, UsageError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _require_open() -> None:
    if database.obj is None:
        raise DatabaseError("no database is open (call sftui.db.open_database first)")


def write_transaction() -> Any:
    """``BEGIN IMMEDIATE``: take the write lock up front, waiting up to the busy timeout."""
    _require_open()
    return database.atomic("IMMEDIATE")


def read_transaction() -> Any:
    """A deferred transaction: several SELECTs see one snapshot."""
    _require_open()
    return database.atomic()


def one_line(exc: ValidationError, what: str) -> str:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in (what, *first["loc"]))
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{location}: {first['msg']}{extra}"


def validate(schema: type[M], data: Any, what: str) -> M:
    """Validate ``data`` as ``schema``; it must also be strict JSON as given (pydantic would turn inf into null)."""
    dump_json(data, what)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise UsageError(one_line(exc, what)) from None


def validate_as(adapter: TypeAdapter[T], data: Any, what: str) -> T:
    dump_json(data, what)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise UsageError(one_line(exc, what)) from None


def require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{what}: expected an object (dict), got {type(value).__name__}")
    return value


def require_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{what}: must not be empty")
    return value.strip()


def get_row(model: type[pw.Model], row_id: str, kind: str) -> pw.Model:
    _require_open()
    row = model.get_or_none(model.id == row_id)
    if row is None:
        raise NotFoundError(f"{kind} {row_id!r} not found", details={"id": row_id})
    return row


def row_dict(row: pw.Model) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row._meta.fields}
