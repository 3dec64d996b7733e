"""Schema migrations: an ordered list, each applied once in its own transaction.

``schema_migrations(name, applied_at)`` records what ran. Each migration runs
inside ``BEGIN IMMEDIATE`` and re-checks that table first, so two processes
opening the same new file at once apply every migration exactly once.
"""

from __future__ import annotations

from types import ModuleType

import peewee as pw

from sftui.db.migrations import m0001_initial, m0002_generation_details, m0003_sftui
from sftui.db.values import format_timestamp, utcnow
from sftui.errors import DatabaseError, UsageError

MIGRATIONS: tuple[ModuleType, ...] = (m0001_initial, m0002_generation_details, m0003_sftui)
MIGRATION_NAMES: tuple[str, ...] = tuple(module.NAME for module in MIGRATIONS)

_CREATE_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
)"""


def applied_migrations(db: pw.SqliteDatabase) -> list[str]:
    if not db.table_exists("schema_migrations"):
        return []
    cursor = db.execute_sql("SELECT name FROM schema_migrations ORDER BY name")
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
    wanted = MIGRATIONS if target is None else MIGRATIONS[: MIGRATION_NAMES.index(target) + 1]
    pending = [module for module in wanted if module.NAME not in applied]
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
