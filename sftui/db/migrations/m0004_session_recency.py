"""0004: an index ``(updated_at, id)`` on sessions, the order the session list reads them in.

The sidebar reads one page of the most recently active sessions at a time; with the
index that is a seek, not a sort of every session.
"""

from __future__ import annotations

import peewee as pw
from playhouse.migrate import SqliteMigrator, migrate

NAME = "0004_session_recency"

SESSIONS = "comfyui_sessions"


def apply(db: pw.SqliteDatabase) -> None:
    migrate(SqliteMigrator(db).add_index(SESSIONS, ("updated_at", "id")))
