"""Schema migrations: an ordered list, each applied once in its own transaction.

``schema_migrations(name, applied_at)`` records what ran. Each migration runs
inside ``BEGIN IMMEDIATE`` and re-checks that table first, so two processes
opening the same new file at once apply every migration exactly once.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import peewee as pw

from sftui.db.values import format_timestamp, utcnow
from sftui.errors import DatabaseError, UsageError

#: In order; each name is its module's ``NAME``. The modules (and playhouse.migrate) load
#: only when one has to run: opening an up-to-date database reads one table.
_MODULES = {
    "0001_initial": "m0001_initial",
    "0002_generation_details": "m0002_generation_details",
    "0003_sftui": "m0003_sftui",
    "0004_session_recency": "m0004_session_recency",
}
MIGRATION_NAMES: tuple[str, ...] = tuple(_MODULES)


def migration_module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{_MODULES[name]}")


def __getattr__(name: str) -> Any:
    if name == "MIGRATIONS":  # every module, loaded
        return tuple(migration_module(n) for n in MIGRATION_NAMES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_CREATE_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
)"""


def applied_migrations(db: pw.SqliteDatabase) -> list[str]:
    try:
        cursor = db.execute_sql("SELECT name FROM schema_migrations ORDER BY name")
    except pw.OperationalError as exc:
        if "no such table" in str(exc):  # a new file
            return []
        raise
    return [name for (name,) in cursor.fetchall()]


def run_migrations(db: pw.SqliteDatabase, *, target: str | None = None) -> list[str]:
    """Apply the missing migrations in order (up to and including ``target``); return their names."""
    if target is not None and target not in MIGRATION_NAMES:
        raise UsageError(f"unknown migration {target!r}; known: {', '.join(MIGRATION_NAMES)}")
    applied = set(applied_migrations(db))
    unknown = sorted(applied - set(MIGRATION_NAMES))
    if unknown:
        raise DatabaseError(
            f"database {db.database} has migration {unknown[-1]!r}, which this sftui does not know: "
            "it was written by a newer version"
        )
    wanted = MIGRATION_NAMES if target is None else MIGRATION_NAMES[: MIGRATION_NAMES.index(target) + 1]
    pending = [migration_module(name) for name in wanted if name not in applied]
    if not pending:
        return []
    db.execute_sql(_CREATE_TABLE)
    ran: list[str] = []
    for module in pending:
        with db.atomic("IMMEDIATE"):
            # Another process may have applied it between our read and our lock.
            if db.execute_sql("SELECT 1 FROM schema_migrations WHERE name = ?", (module.NAME,)).fetchone():
                continue
            module.apply(db)
            db.execute_sql(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                (module.NAME, format_timestamp(utcnow())),
            )
        ran.append(module.NAME)
    return ran
