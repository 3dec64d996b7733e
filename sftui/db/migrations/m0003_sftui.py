"""0003: what sftui needs beyond the design.

Generations get the server and client they ran on, the UI-format graph, the
downloaded files, structured error details and their own timestamps; an
index ``(session_id, created_at, id)`` serves the cursor paging. Timestamps
an older writer left in another form are rewritten in the canonical text
form, the same instants, so that text order is time order.
"""

from __future__ import annotations

import peewee as pw
from playhouse.migrate import SqliteMigrator, migrate

from sftui.db.values import UTCTimestampField, format_timestamp, parse_timestamp
from sftui.errors import DatabaseError

NAME = "0003_sftui"

GENERATIONS = "comfyui_generations"
WORKFLOWS = "comfyui_workflows"
SESSIONS = "comfyui_sessions"

_TIMESTAMP_COLUMNS = {
    "profiles": ("created_at",),
    WORKFLOWS: ("created_at", "updated_at"),
    SESSIONS: ("created_at", "updated_at"),
    GENERATIONS: ("created_at", "completed_at"),
}


def _with_default(field: pw.Field, sql_default: str) -> pw.Field:
    field.constraints = [pw.SQL(f"DEFAULT {sql_default}")]
    return field


def _normalise_timestamps(db: pw.SqliteDatabase) -> None:
    for table, columns in _TIMESTAMP_COLUMNS.items():
        for column in columns:
            rows = db.execute_sql(f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()
            for rowid, value in rows:
                try:
                    canonical = format_timestamp(parse_timestamp(value))
                except DatabaseError:
                    continue  # leave what cannot be read; the reader reports it with its value
                if canonical != value:
                    db.execute_sql(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (canonical, rowid))


_COUNTERS = (
    f"""UPDATE {SESSIONS} SET
        generation_count = (SELECT COUNT(*) FROM {GENERATIONS} g WHERE g.session_id = {SESSIONS}.id),
        completed_count = (SELECT COUNT(*) FROM {GENERATIONS} g
                           WHERE g.session_id = {SESSIONS}.id AND g.status = 'completed'),
        failed_count = (SELECT COUNT(*) FROM {GENERATIONS} g
                        WHERE g.session_id = {SESSIONS}.id AND g.status = 'failed')""",
    f"""UPDATE {WORKFLOWS} SET
        generation_count = (SELECT COUNT(*) FROM {GENERATIONS} g WHERE g.workflow_id = {WORKFLOWS}.id)""",
)


def apply(db: pw.SqliteDatabase) -> None:
    m = SqliteMigrator(db)
    migrate(
        m.add_column(GENERATIONS, "server_url", pw.TextField(null=True)),
        m.add_column(GENERATIONS, "client_id", pw.CharField(max_length=255, null=True)),
        m.add_column(GENERATIONS, "workflow_ui_snapshot", pw.TextField(null=True)),
        m.add_column(GENERATIONS, "output_files", _with_default(pw.TextField(), "'[]'"), allow_not_null=True),
        m.add_column(GENERATIONS, "error_details", pw.TextField(null=True)),
        m.add_column(GENERATIONS, "started_at", UTCTimestampField(null=True)),
        m.add_column(GENERATIONS, "updated_at", UTCTimestampField(null=True)),
        m.add_index(GENERATIONS, ("session_id", "created_at", "id")),
        m.add_index(GENERATIONS, ("status",)),
        # Deleting a workflow sets these to NULL; without an index that is a table scan.
        m.add_index(GENERATIONS, ("workflow_id",)),
        m.add_index(SESSIONS, ("current_workflow_id",)),
        m.add_column(WORKFLOWS, "workflow_ui_json", pw.TextField(null=True)),
        m.add_column(
            WORKFLOWS, "source_format", _with_default(pw.CharField(max_length=16), "'api'"), allow_not_null=True
        ),
        m.add_column(SESSIONS, "draft", _with_default(pw.TextField(), "'{}'"), allow_not_null=True),
    )
    _normalise_timestamps(db)
    # 0002 added the counters at 0; sftui reads them instead of counting, so start them true.
    for statement in _COUNTERS:
        db.execute_sql(statement)
    db.execute_sql(f"UPDATE {GENERATIONS} SET updated_at = COALESCE(completed_at, created_at) WHERE updated_at IS NULL")
