"""Peewee models of the current schema (the tables are made by ``migrations``).

The models are bound to ``database`` (a proxy), which ``open_database``
initialises, so the same models serve whatever file the app opens.
Relations are plain id columns: the foreign keys live in the schema, and
joins are spelled out in the queries so nothing lazily loads a row.
"""

from __future__ import annotations

import peewee as pw

from sftui.db.values import JSONField, SeedField, UTCTimestampField, UUIDStrField

database = pw.DatabaseProxy()

DEFAULT_PROFILE_ID = "00000000-0000-0000-0000-000000000001"
DEFAULT_PROFILE_NAME = "default"

STATUS_PENDING = "pending"
STATUS_RUNNING = "running"
STATUS_COMPLETED = "completed"
STATUS_FAILED = "failed"
UNFINISHED_STATUSES = (STATUS_PENDING, STATUS_RUNNING)


class BaseModel(pw.Model):
    class Meta:
        database = database


class SchemaMigrationRow(BaseModel):
    name = pw.CharField(primary_key=True)
    applied_at = UTCTimestampField()

    class Meta:
        table_name = "schema_migrations"


class ProfileRow(BaseModel):
    id = UUIDStrField(primary_key=True)
    name = pw.CharField()
    created_at = UTCTimestampField()

    class Meta:
        table_name = "profiles"


class WorkflowRow(BaseModel):
    id = UUIDStrField(primary_key=True)
    profile_id = UUIDStrField(null=True)
    name = pw.CharField()
    description = pw.TextField(null=True)
    workflow_json = pw.TextField()
    workflow_ui_json = pw.TextField(null=True)
    source_format = pw.CharField()
    default_parameters = JSONField()
    extracted_parameters = JSONField()
    thumbnail_url = pw.CharField(max_length=500, null=True)
    is_default = pw.BooleanField()
    generation_count = pw.IntegerField()
    created_at = UTCTimestampField()
    updated_at = UTCTimestampField()

    class Meta:
        table_name = "comfyui_workflows"


class SessionRow(BaseModel):
    id = UUIDStrField(primary_key=True)
    profile_id = UUIDStrField(null=True)
    current_workflow_id = UUIDStrField(null=True)
    title = pw.CharField()
    last_parameters = JSONField()
    draft = JSONField()
    generation_count = pw.IntegerField()
    completed_count = pw.IntegerField()
    failed_count = pw.IntegerField()
    created_at = UTCTimestampField()
    updated_at = UTCTimestampField()

    class Meta:
        table_name = "comfyui_sessions"


class GenerationRow(BaseModel):
    id = UUIDStrField(primary_key=True)
    session_id = UUIDStrField()
    workflow_id = UUIDStrField(null=True)
    workflow_json_snapshot = pw.TextField(null=True)
    workflow_ui_snapshot = pw.TextField(null=True)
    prompt_id = pw.CharField(null=True)
    prompt_text = pw.TextField(null=True)
    negative_prompt = pw.TextField(null=True)
    parameters = JSONField()
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    steps = pw.IntegerField(null=True)
    cfg_scale = pw.FloatField(null=True)
    seed = SeedField(null=True)
    sampler_name = pw.CharField(max_length=50, null=True)
    scheduler = pw.CharField(max_length=50, null=True)
    batch_size = pw.IntegerField()
    checkpoint_name = pw.CharField(max_length=255, null=True)
    loras_used = JSONField()
    status = pw.CharField()
    outputs = JSONField(null=True)
    output_files = JSONField()
    error = pw.TextField(null=True)
    error_details = JSONField(null=True)
    generation_time_seconds = pw.FloatField(null=True)
    batch_index = pw.IntegerField()
    server_url = pw.TextField(null=True)
    client_id = pw.CharField(null=True)
    created_at = UTCTimestampField()
    started_at = UTCTimestampField(null=True)
    updated_at = UTCTimestampField(null=True)
    completed_at = UTCTimestampField(null=True)

    class Meta:
        table_name = "comfyui_generations"


ALL_MODELS = (SchemaMigrationRow, ProfileRow, WorkflowRow, SessionRow, GenerationRow)
