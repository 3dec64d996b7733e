"""How sftui's values are stored in SQLite: ids, UTC timestamps, JSON, seeds.

These are Peewee fields plus the few helpers the query modules share. The
clock lives here (``utcnow``) so tests can freeze it by patching one name.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timezone
from typing import Any

import peewee as pw

from sftui.errors import DatabaseError, UsageError

SEED_MAX = 2**64 - 1
_INT64_SPAN = 2**64
_INT64_MAX = 2**63 - 1

# Fixed width (always 6 fractional digits, always "Z") so that text order is
# time order, which the (created_at, id) cursor relies on.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Numbers above this are epoch milliseconds, not seconds (year 5138 in seconds).
_EPOCH_MS_THRESHOLD = 10**11


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


def parse_timestamp(value: Any) -> datetime:
    """Read a stored timestamp, including the forms an older writer may have left."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= _EPOCH_MS_THRESHOLD else value
        return datetime.fromtimestamp(seconds, timezone.utc)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DatabaseError(f"unreadable timestamp {value!r} in the database") from None
    else:
        raise DatabaseError(f"unreadable timestamp {value!r} in the database")
    if dt.tzinfo is None:
        # Naive values were written as UTC (SQLite's CURRENT_TIMESTAMP is UTC).
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def format_timestamp(value: datetime) -> str:
    return parse_timestamp(value).strftime(TIMESTAMP_FORMAT)


def dump_json(value: Any, what: str) -> str:
    """Serialise to strict JSON (no NaN/Infinity), naming the offending key on failure."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        where, bad = _first_unstorable(value, what) or (what, exc)
        raise UsageError(f"{where}: not storable as JSON ({bad!r})") from None


def _first_unstorable(value: Any, path: str, depth: int = 0) -> tuple[str, Any] | None:
    if depth > 100:
        return path, "nested too deeply"
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    if value is None or isinstance(value, (str, int, bool)):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}.{key!r}", key
            found = _first_unstorable(item, f"{path}.{key}", depth + 1)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _first_unstorable(item, f"{path}.{index}", depth + 1)
            if found:
                return found
        return None
    return path, value


def parse_json_object_text(text: Any, what: str) -> dict[str, Any]:
    """Check that ``text`` is a JSON document whose top level is an object."""
    if not isinstance(text, str):
        raise UsageError(f"{what}: expected JSON text, got {type(text).__name__}")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{what}: invalid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise UsageError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


class UUIDStrField(pw.CharField):
    """A UUID kept as its canonical 36-character text (Peewee's UUIDField drops the dashes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 36)
        super().__init__(*args, **kwargs)


class UTCTimestampField(pw.Field):
    field_type = "TIMESTAMP"

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = parse_timestamp(value)
        return format_timestamp(value)

    def python_value(self, value: Any) -> datetime | None:
        return None if value is None else parse_timestamp(value)


class JSONField(pw.TextField):
    """JSON text in the database, Python objects in the program."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return dump_json(value, self._label())

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            raise DatabaseError(f"{self._label()}: the database holds invalid JSON {str(value)[:60]!r}") from None

    def _label(self) -> str:
        model = getattr(self, "model", None)
        table = model._meta.table_name if model is not None else "?"
        return f"{table}.{self.column_name}"


def seed_to_db(value: int) -> int:
    """Map 0..2**64-1 onto SQLite's signed 64-bit INTEGER (two's complement)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"seed: expected an integer, got {value!r}")
    if not 0 <= value <= SEED_MAX:
        raise UsageError(f"seed: {value} is outside 0..{SEED_MAX} (resolve a random seed before storing)")
    return value - _INT64_SPAN if value > _INT64_MAX else value


def seed_from_db(value: int) -> int:
    return value + _INT64_SPAN if value < 0 else value


class SeedField(pw.BigIntegerField):
    """A ComfyUI seed (unsigned 64-bit) stored so that equality on the index still works."""

    def db_value(self, value: Any) -> int | None:
        return None if value is None else seed_to_db(value)

    def python_value(self, value: Any) -> int | None:
        return None if value is None else seed_from_db(int(value))
