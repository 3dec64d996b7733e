"""0004: session indexes for databases of thousands of sessions.

``(updated_at, id)`` is the order the session list reads them in: the sidebar reads one
page of the most recently active sessions at a time, and with the index that is a seek,
not a sort of every session. ``title`` serves ``--session TITLE`` (``find_session``).
"""

from __future__ import annotations

import peewee as pw
from playhouse.migrate import SqliteMigrator, migrate

NAME = "0004_session_recency"

SESSIONS = "comfyui_sessions"


def apply(db: pw.SqliteDatabase) -> None:
    m = SqliteMigrator(db)
    migrate(m.add_index(SESSIONS, ("updated_at", "id")), m.add_index(SESSIONS, ("title",)))
