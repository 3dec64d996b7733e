"""Saved workflows (design §5.1)."""

from __future__ import annotations

from typing import Any

import peewee as pw
from pydantic import TypeAdapter

from sftui.db import values
from sftui.db.common import get_row, read_transaction, require_text, row_dict, validate, validate_as, write_transaction
from sftui.db.models import DEFAULT_PROFILE_ID, ProfileRow, WorkflowRow
from sftui.db.schemas import GenerationParameters, Workflow, WorkflowParameter, WorkflowSummary
from sftui.errors import ConflictError, NotFoundError, UsageError

_PARAMETER_LIST = TypeAdapter(list[WorkflowParameter])

_PATCHABLE = frozenset(
    {
        "name",
        "description",
        "workflow_json",
        "workflow_ui_json",
        "source_format",
        "default_parameters",
        "extracted_parameters",
        "thumbnail_url",
        "is_default",
    }
)


def _to_workflow(row: WorkflowRow) -> Workflow:
    return Workflow.model_validate(row_dict(row))


def list_workflows(profile_id: str | None = None) -> list[WorkflowSummary]:
    """All workflows (or one profile's): the default first, then by name."""
    fields = [WorkflowRow._meta.fields[name] for name in WorkflowSummary.model_fields]
    query = WorkflowRow.select(*fields)
    if profile_id is not None:
        query = query.where(WorkflowRow.profile_id == profile_id)
    query = query.order_by(WorkflowRow.is_default.desc(), pw.fn.lower(WorkflowRow.name), WorkflowRow.created_at)
    with read_transaction():
        return [WorkflowSummary.model_validate(row) for row in query.dicts()]


def get_workflow(workflow_id: str) -> Workflow:
    return _to_workflow(get_row(WorkflowRow, workflow_id, "workflow"))


def find_workflow(ref: str) -> Workflow:
    """A workflow by id, else by exact name."""
    with read_transaction():
        row = WorkflowRow.get_or_none(WorkflowRow.id == ref)
        if row is not None:
            return _to_workflow(row)
        rows = list(WorkflowRow.select().where(WorkflowRow.name == ref).order_by(WorkflowRow.created_at))
    if not rows:
        raise NotFoundError(f"workflow {ref!r} not found (no such id or name)", details={"ref": ref})
    if len(rows) > 1:
        ids = ", ".join(row.id for row in rows)
        raise ConflictError(f"{len(rows)} workflows are named {ref!r}; use an id: {ids}", details={"ref": ref})
    return _to_workflow(rows[0])


def get_default_workflow(profile_id: str | None = None) -> Workflow | None:
    profile = profile_id or DEFAULT_PROFILE_ID
    with read_transaction():
        row = WorkflowRow.get_or_none((WorkflowRow.profile_id == profile) & (WorkflowRow.is_default == True))  # noqa: E712
    return None if row is None else _to_workflow(row)


def create_workflow(
    *,
    name: str,
    workflow_json: str,
    description: str | None = None,
    workflow_ui_json: str | None = None,
    source_format: str = "api",
    default_parameters: dict[str, Any] | None = None,
    extracted_parameters: list[dict[str, Any]] | None = None,
    is_default: bool = False,
    profile_id: str | None = None,
) -> Workflow:
    """Save a workflow; ``is_default`` takes the flag from the profile's other workflows."""
    profile = profile_id or DEFAULT_PROFILE_ID
    columns = _checked_columns(
        {
            "name": name,
            "description": description,
            "workflow_json": workflow_json,
            "workflow_ui_json": workflow_ui_json,
            "source_format": source_format,
            "default_parameters": default_parameters or {},
            "extracted_parameters": extracted_parameters or [],
            "is_default": is_default,
        }
    )
    now = values.utcnow()
    workflow_id = values.new_id()
    with write_transaction():
        get_row(ProfileRow, profile, "profile")
        if columns["is_default"]:
            _clear_default(profile)
        WorkflowRow.insert(
            id=workflow_id, profile_id=profile, generation_count=0, created_at=now, updated_at=now, **columns
        ).execute()
        return get_workflow(workflow_id)


def update_workflow(workflow_id: str, **patch: Any) -> Workflow:
    """Change the given columns (see ``_PATCHABLE``); ``is_default=True`` clears the others."""
    unknown = sorted(set(patch) - _PATCHABLE)
    if unknown:
        raise UsageError(f"workflow has no editable field {unknown[0]!r}; editable: {', '.join(sorted(_PATCHABLE))}")
    columns = _checked_columns(patch)
    with write_transaction():
        row = get_row(WorkflowRow, workflow_id, "workflow")
        if columns.get("is_default"):
            _clear_default(row.profile_id)
        if columns:
            columns["updated_at"] = values.utcnow()
            WorkflowRow.update(**columns).where(WorkflowRow.id == workflow_id).execute()
        return get_workflow(workflow_id)


def delete_workflow(workflow_id: str) -> None:
    """Delete a workflow; its generations and sessions keep their rows (the reference becomes NULL)."""
    with write_transaction():
        get_row(WorkflowRow, workflow_id, "workflow")
        WorkflowRow.delete().where(WorkflowRow.id == workflow_id).execute()


def _clear_default(profile_id: str | None) -> None:
    (
        WorkflowRow.update(is_default=False)
        .where((WorkflowRow.profile_id == profile_id) & (WorkflowRow.is_default == True))  # noqa: E712
        .execute()
    )


def _checked_columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the editable columns present in ``fields`` into their stored form."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "name":
            out[key] = require_text(value, "workflow name")
        elif key == "source_format":
            out[key] = require_text(value, "workflow source_format")
        elif key == "workflow_json":
            values.parse_json_object_text(value, "workflow_json")
            out[key] = value
        elif key == "workflow_ui_json":
            if value is not None:
                values.parse_json_object_text(value, "workflow_ui_json")
            out[key] = value
        elif key == "default_parameters":
            out[key] = validate(GenerationParameters, {} if value is None else value, key).model_dump(mode="json")
        elif key == "extracted_parameters":
            params = validate_as(_PARAMETER_LIST, [] if value is None else value, key)
            out[key] = [param.model_dump(mode="json") for param in params]
        elif key == "is_default":
            if not isinstance(value, bool):
                raise UsageError(f"is_default: expected true or false, got {value!r}")
            out[key] = value
        else:  # description, thumbnail_url: free text or None
            if value is not None and not isinstance(value, str):
                raise UsageError(f"{key}: expected text, got {type(value).__name__}")
            out[key] = value
    return out
