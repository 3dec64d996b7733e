"""Generations (design §5.3): creation and the status changes of their life.

Each status change and the session counters it moves happen in one
transaction, guarded by the current status, so a generation is finished
(and counted) at most once even when two writers race.
"""

from __future__ import annotations

import json
from typing import Any

from peewee import fn
from pydantic import TypeAdapter

from sftui.db import values
from sftui.db.common import (
    get_row,
    read_transaction,
    require_dict,
    require_text,
    row_dict,
    validate,
    validate_as,
    write_transaction,
)
from sftui.db.models import (
    STATUS_COMPLETED,
    STATUS_FAILED,
    STATUS_PENDING,
    STATUS_RUNNING,
    UNFINISHED_STATUSES,
    GenerationRow,
    SessionRow,
    WorkflowRow,
)
from sftui.db.schemas import ErrorDetails, Generation, GenerationParameters, OutputFile
from sftui.errors import NotFoundError, UsageError

_OUTPUTS = TypeAdapter(list[str])
_OUTPUT_FILES = TypeAdapter(list[OutputFile])


def get_generation(generation_id: str) -> Generation:
    return Generation.model_validate(row_dict(get_row(GenerationRow, generation_id, "generation")))


def create_generation(
    *,
    session_id: str,
    prompt_text: str,
    parameters: dict[str, Any],
    workflow_json_snapshot: str,
    workflow_id: str | None = None,
    workflow_ui_snapshot: str | None = None,
    negative_prompt: str | None = None,
    batch_index: int = 0,
    server_url: str | None = None,
    client_id: str | None = None,
) -> Generation:
    """Record a pending generation and count it on its session and workflow."""
    params = validate(GenerationParameters, require_dict(parameters, "parameters"), "parameters")
    if params.seed is not None:
        values.seed_to_db(params.seed)  # reject -1 ("random") before anything is written
    stored = params.model_dump(mode="json")
    values.parse_json_object_text(workflow_json_snapshot, "workflow_json_snapshot")
    if workflow_ui_snapshot is not None:
        values.parse_json_object_text(workflow_ui_snapshot, "workflow_ui_snapshot")
    for name, text in (("prompt_text", prompt_text), ("negative_prompt", negative_prompt)):
        if text is not None and not isinstance(text, str):
            raise UsageError(f"{name}: expected text, got {type(text).__name__}")
    if isinstance(batch_index, bool) or not isinstance(batch_index, int) or batch_index < 0:
        raise UsageError(f"batch_index: expected an integer >= 0, got {batch_index!r}")
    now = values.utcnow()
    generation_id = values.new_id()
    with write_transaction():
        get_row(SessionRow, session_id, "session")
        if workflow_id is not None:
            get_row(WorkflowRow, workflow_id, "workflow")
        GenerationRow.insert(
            id=generation_id,
            session_id=session_id,
            workflow_id=workflow_id,
            workflow_json_snapshot=workflow_json_snapshot,
            workflow_ui_snapshot=workflow_ui_snapshot,
            prompt_text=prompt_text,
            negative_prompt=negative_prompt,
            parameters=stored,
            width=params.width,
            height=params.height,
            steps=params.steps,
            cfg_scale=params.cfg_scale,
            seed=params.seed,
            sampler_name=params.sampler_name,
            scheduler=params.scheduler,
            batch_size=1 if params.batch_size is None else params.batch_size,
            checkpoint_name=params.checkpoint_name,
            loras_used=[lora.model_dump(mode="json") for lora in params.loras or []],
            status=STATUS_PENDING,
            outputs=[],
            output_files=[],
            batch_index=batch_index,
            server_url=server_url,
            client_id=client_id,
            created_at=now,
            updated_at=now,
        ).execute()
        session_changes: dict[Any, Any] = {
            SessionRow.generation_count: SessionRow.generation_count + 1,
            SessionRow.last_parameters: stored,
            SessionRow.updated_at: now,
        }
        if workflow_id is not None:
            session_changes[SessionRow.current_workflow_id] = workflow_id
            WorkflowRow.update(generation_count=WorkflowRow.generation_count + 1).where(
                WorkflowRow.id == workflow_id
            ).execute()
        SessionRow.update(session_changes).where(SessionRow.id == session_id).execute()
        return get_generation(generation_id)


def get_generation_workflow(generation_id: str) -> dict[str, Any]:
    """The exact workflow and parameters a generation ran with (design §5.3)."""
    generation = get_generation(generation_id)
    if generation.workflow_json_snapshot is None:
        raise NotFoundError(
            f"generation {generation_id!r} has no workflow snapshot (it predates snapshots)",
            details={"id": generation_id},
        )
    return {
        "workflow_json": json.loads(generation.workflow_json_snapshot),
        "parameters": generation.parameters.model_dump(mode="json"),
    }


def mark_generation_submitted(generation_id: str, *, prompt_id: str) -> bool:
    """Record ComfyUI's prompt id. Running is allowed too: events can beat the POST's answer."""
    prompt_id = require_text(prompt_id, "prompt_id")
    with write_transaction():
        return _guarded_update(generation_id, UNFINISHED_STATUSES, values.utcnow(), prompt_id=prompt_id)


def claim_generation_prompt(generation_id: str, *, expected: str | None, prompt_id: str, client_id: str | None) -> bool:
    """Set the prompt id (and owner) of a pending generation whose prompt id is still ``expected``.

    A compare-and-set: of two processes about to post (or repost) the same generation,
    only the one whose claim lands posts it. False if the row moved on meanwhile.
    """
    prompt_id = require_text(prompt_id, "prompt_id")
    same = GenerationRow.prompt_id.is_null() if expected is None else GenerationRow.prompt_id == expected
    with write_transaction():
        changed = (
            GenerationRow.update(prompt_id=prompt_id, client_id=client_id, updated_at=values.utcnow())
            .where((GenerationRow.id == generation_id) & (GenerationRow.status == STATUS_PENDING) & same)
            .execute()
        )
        if not changed:
            get_row(GenerationRow, generation_id, "generation")
        return bool(changed)


def transfer_generation(generation_id: str, *, expected_client: str | None, client_id: str) -> bool:
    """Make ``client_id`` the owner of an unfinished generation still owned by ``expected_client``."""
    same = GenerationRow.client_id.is_null() if expected_client is None else GenerationRow.client_id == expected_client
    with write_transaction():
        changed = (
            GenerationRow.update(client_id=client_id, updated_at=values.utcnow())
            .where((GenerationRow.id == generation_id) & GenerationRow.status.in_(UNFINISHED_STATUSES) & same)
            .execute()
        )
        if not changed:
            get_row(GenerationRow, generation_id, "generation")
        return bool(changed)


def mark_generation_running(generation_id: str) -> bool:
    with write_transaction():
        now = values.utcnow()
        return _guarded_update(generation_id, (STATUS_PENDING,), now, status=STATUS_RUNNING, started_at=now)


def complete_generation(
    generation_id: str,
    *,
    outputs: list[str],
    output_files: list[dict[str, Any]],
    generation_time_seconds: float | None,
) -> bool:
    """Finish successfully; False if the generation had already finished."""
    stored_outputs = validate_as(_OUTPUTS, outputs, "outputs")
    files = [item.model_dump(mode="json") for item in validate_as(_OUTPUT_FILES, output_files, "output_files")]
    if generation_time_seconds is not None:
        if isinstance(generation_time_seconds, bool) or not isinstance(generation_time_seconds, (int, float)):
            raise UsageError(f"generation_time_seconds: expected a number, got {generation_time_seconds!r}")
        values.dump_json(generation_time_seconds, "generation_time_seconds")  # rejects NaN / infinity
    with write_transaction():
        now = values.utcnow()
        changed = _guarded_update(
            generation_id,
            UNFINISHED_STATUSES,
            now,
            status=STATUS_COMPLETED,
            outputs=stored_outputs,
            output_files=files,
            generation_time_seconds=generation_time_seconds,
            completed_at=now,
        )
        if changed:
            _bump_session(generation_id, SessionRow.completed_count, +1, now)
        return changed


def fail_generation(generation_id: str, *, error: str, error_details: dict[str, Any] | None = None) -> bool:
    """Finish with an error; False if the generation had already finished."""
    error = require_text(error, "error")
    details = None
    if error_details is not None:
        details = validate(ErrorDetails, require_dict(error_details, "error_details"), "error_details")
        details = details.model_dump(mode="json")
    with write_transaction():
        now = values.utcnow()
        changed = _guarded_update(
            generation_id,
            UNFINISHED_STATUSES,
            now,
            status=STATUS_FAILED,
            error=error,
            error_details=details,
            completed_at=now,
        )
        if changed:
            _bump_session(generation_id, SessionRow.failed_count, +1, now)
        return changed


def requeue_generation(generation_id: str) -> Generation | None:
    """Turn a failed generation back into a pending one (Retry); None if it had not failed."""
    with write_transaction():
        now = values.utcnow()
        changed = _guarded_update(
            generation_id,
            (STATUS_FAILED,),
            now,
            status=STATUS_PENDING,
            prompt_id=None,
            error=None,
            error_details=None,
            started_at=None,
            completed_at=None,
            generation_time_seconds=None,
        )
        if not changed:
            return None
        _bump_session(generation_id, SessionRow.failed_count, -1, now)
        return get_generation(generation_id)


def any_unfinished_generations() -> bool:
    """Whether some generation is pending or running (one lookup in the status index)."""
    with read_transaction():
        return GenerationRow.select(GenerationRow.id).where(GenerationRow.status.in_(UNFINISHED_STATUSES)).exists()


def list_unfinished_generations() -> list[Generation]:
    """Pending and running generations of every session, oldest first."""
    query = (
        GenerationRow.select()
        .where(GenerationRow.status.in_(UNFINISHED_STATUSES))
        .order_by(GenerationRow.created_at, GenerationRow.id)
    )
    with read_transaction():
        return [Generation.model_validate(row_dict(row)) for row in query]


def _guarded_update(generation_id: str, allowed: tuple[str, ...], now: Any, **columns: Any) -> bool:
    """Update only while the status is one of ``allowed``; NotFoundError if there is no such row."""
    columns["updated_at"] = now
    changed = (
        GenerationRow.update(**columns)
        .where((GenerationRow.id == generation_id) & GenerationRow.status.in_(allowed))
        .execute()
    )
    if not changed:
        get_row(GenerationRow, generation_id, "generation")
    return bool(changed)


def _bump_session(generation_id: str, counter: Any, delta: int, now: Any) -> None:
    session_id = GenerationRow.select(GenerationRow.session_id).where(GenerationRow.id == generation_id).scalar()
    # Never below zero, whatever an earlier writer left in the counter.
    new_value = fn.max(counter + delta, 0)
    SessionRow.update({counter: new_value, SessionRow.updated_at: now}).where(SessionRow.id == session_id).execute()
