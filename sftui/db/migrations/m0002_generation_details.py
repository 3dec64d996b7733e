"""0002: design §4.1 "enhanced generation tracking", the columns and indexes of §4.2.

Every NOT NULL column gets a constant SQL default, which lets SQLite add it
with a plain ``ALTER TABLE ADD COLUMN`` (no table rebuild) and gives existing
rows the default, as §8.1 asks.
"""

from __future__ import annotations

import peewee as pw
from playhouse.migrate import SqliteMigrator, migrate

NAME = "0002_generation_details"

GENERATIONS = "comfyui_generations"
WORKFLOWS = "comfyui_workflows"
SESSIONS = "comfyui_sessions"


class _WorkflowTable(pw.Model):
    """Just enough of comfyui_workflows for a REFERENCES clause."""

    id = pw.CharField(max_length=36, primary_key=True)

    class Meta:
        table_name = WORKFLOWS


def _with_default(field: pw.Field, sql_default: str) -> pw.Field:
    field.constraints = [pw.SQL(f"DEFAULT {sql_default}")]
    return field


def apply(db: pw.SqliteDatabase) -> None:
    m = SqliteMigrator(db)

    def not_null(table: str, column: str, field: pw.Field, sql_default: str):  # noqa: ANN202
        return m.add_column(table, column, _with_default(field, sql_default), allow_not_null=True)

    migrate(
        m.add_column(GENERATIONS, "workflow_json_snapshot", pw.TextField(null=True)),
        not_null(GENERATIONS, "parameters", pw.TextField(), "'{}'"),
        m.add_column(GENERATIONS, "negative_prompt", pw.TextField(null=True)),
        m.add_column(GENERATIONS, "width", pw.IntegerField(null=True)),
        m.add_column(GENERATIONS, "height", pw.IntegerField(null=True)),
        m.add_column(GENERATIONS, "steps", pw.IntegerField(null=True)),
        m.add_column(GENERATIONS, "cfg_scale", pw.FloatField(null=True)),
        m.add_column(GENERATIONS, "seed", pw.BigIntegerField(null=True)),
        m.add_column(GENERATIONS, "sampler_name", pw.CharField(max_length=50, null=True)),
        m.add_column(GENERATIONS, "scheduler", pw.CharField(max_length=50, null=True)),
        not_null(GENERATIONS, "batch_size", pw.IntegerField(), "1"),
        m.add_column(GENERATIONS, "checkpoint_name", pw.CharField(max_length=255, null=True)),
        not_null(GENERATIONS, "loras_used", pw.TextField(), "'[]'"),
        m.add_column(GENERATIONS, "generation_time_seconds", pw.FloatField(null=True)),
        not_null(GENERATIONS, "batch_index", pw.IntegerField(), "0"),
        m.add_index(GENERATIONS, ("seed",)),
        m.add_index(GENERATIONS, ("checkpoint_name",)),
        m.add_index(GENERATIONS, ("session_id", "created_at")),
        not_null(WORKFLOWS, "default_parameters", pw.TextField(), "'{}'"),
        not_null(WORKFLOWS, "extracted_parameters", pw.TextField(), "'[]'"),
        m.add_column(WORKFLOWS, "thumbnail_url", pw.CharField(max_length=500, null=True)),
        not_null(WORKFLOWS, "is_default", pw.BooleanField(), "0"),
        not_null(WORKFLOWS, "generation_count", pw.IntegerField(), "0"),
        m.add_column(
            SESSIONS,
            "current_workflow_id",
            pw.ForeignKeyField(_WorkflowTable, field=_WorkflowTable.id, null=True, on_delete="SET NULL", index=False),
        ),
        not_null(SESSIONS, "last_parameters", pw.TextField(), "'{}'"),
        not_null(SESSIONS, "generation_count", pw.IntegerField(), "0"),
        not_null(SESSIONS, "completed_count", pw.IntegerField(), "0"),
        not_null(SESSIONS, "failed_count", pw.IntegerField(), "0"),
    )
