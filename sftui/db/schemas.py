"""The shapes the storage layer returns (design §5 and §6.4), as pydantic models.

``model_dump(mode="json")`` is what the CLI prints, so field names are the
design's. Optional keys of the free-form objects (parameters, parameter
definitions, output files, error details) that were never given are left
out of the dump rather than printed as ``null``, so a stored object reads
back as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_serializer

from sftui.db.values import SEED_MAX, parse_timestamp

GenerationStatus = Literal["pending", "running", "completed", "failed"]

UTCDateTime = Annotated[datetime, AfterValidator(parse_timestamp)]
# Strict: a stored parameter must already have its type ("12" or True is not a seed).
Int = Annotated[int, Strict()]
Float = Annotated[float, Strict()]  # ints are still accepted (7 -> 7.0)


def _none_as_empty_list(value: Any) -> Any:
    return [] if value is None else value


def _none_as_empty_dict(value: Any) -> Any:
    return {} if value is None else value


class _Sparse(BaseModel):
    """Declared fields that were never given (and are None) are omitted from dumps; extra keys are kept."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        declared, given = type(self).model_fields, self.model_fields_set
        return {key: value for key, value in data.items() if key in given or key not in declared or value is not None}


class LoraConfig(_Sparse):
    name: str
    strength_model: Float = 1.0
    strength_clip: Float = 1.0


class GenerationParameters(_Sparse):
    """Standard parameters plus custom ones keyed ``"<nodeId>.<field>"``.

    ``seed`` may be -1 here ("random", design §5.3) in defaults and drafts; a
    stored generation always has the resolved seed.
    """

    width: Int | None = None
    height: Int | None = None
    steps: Int | None = None
    cfg_scale: Float | None = None
    seed: Int | None = Field(default=None, ge=-1, le=SEED_MAX)
    sampler_name: str | None = None
    scheduler: str | None = None
    batch_size: Int | None = None
    checkpoint_name: str | None = None
    loras: list[LoraConfig] | None = None


class WorkflowParameter(_Sparse):
    """One editable input of a workflow (design §5.1); extra keys such as ``group`` are kept."""

    #: None for virtual parameters that span nodes (the LoRA list).
    nodeId: str | None = None
    field: str
    label: str
    type: str
    value: Any = None
    options: list[Any] | None = None
    # int first: a seed bound like 2**64-1 must not round through float.
    min: int | float | None = None
    max: int | float | None = None


class OutputFile(_Sparse):
    """A file a generation produced; ``path`` is relative to the data directory."""

    node_id: str | None = None
    filename: str
    subfolder: str = ""
    type: str = "output"
    path: str | None = None


class ErrorDetails(_Sparse):
    node_id: str | None = None
    node_type: str | None = None
    exception_type: str | None = None
    exception_message: str | None = None
    traceback: Any = None


class WorkflowSummary(BaseModel):
    """The list shape of design §5.1."""

    id: str
    name: str
    description: str | None = None
    thumbnail_url: str | None = None
    is_default: bool
    generation_count: int
    default_parameters: GenerationParameters
    created_at: UTCDateTime


class Workflow(BaseModel):
    id: str
    profile_id: str | None = None
    name: str
    description: str | None = None
    workflow_json: str
    workflow_ui_json: str | None = None
    source_format: str
    default_parameters: GenerationParameters
    extracted_parameters: list[WorkflowParameter]
    thumbnail_url: str | None = None
    is_default: bool
    generation_count: int
    created_at: UTCDateTime
    updated_at: UTCDateTime


class Generation(BaseModel):
    id: str
    session_id: str
    workflow_id: str | None = None
    workflow_json_snapshot: str | None = None
    workflow_ui_snapshot: str | None = None
    prompt_id: str | None = None
    prompt_text: str | None = None
    negative_prompt: str | None = None
    parameters: Annotated[GenerationParameters, BeforeValidator(_none_as_empty_dict)]
    width: int | None = None
    height: int | None = None
    steps: int | None = None
    cfg_scale: float | None = None
    seed: int | None = None
    sampler_name: str | None = None
    scheduler: str | None = None
    batch_size: int
    checkpoint_name: str | None = None
    loras_used: Annotated[list[LoraConfig], BeforeValidator(_none_as_empty_list)]
    status: GenerationStatus
    outputs: Annotated[list[str], BeforeValidator(_none_as_empty_list)]
    output_files: Annotated[list[OutputFile], BeforeValidator(_none_as_empty_list)]
    error: str | None = None
    error_details: ErrorDetails | None = None
    generation_time_seconds: float | None = None
    batch_index: int
    server_url: str | None = None
    client_id: str | None = None
    created_at: UTCDateTime
    started_at: UTCDateTime | None = None
    updated_at: UTCDateTime
    completed_at: UTCDateTime | None = None


class Session(BaseModel):
    id: str
    profile_id: str | None = None
    title: str
    current_workflow_id: str | None = None
    workflow_name: str | None = None
    last_parameters: Annotated[GenerationParameters, BeforeValidator(_none_as_empty_dict)]
    draft: Annotated[dict[str, Any], BeforeValidator(_none_as_empty_dict)]
    generation_count: int
    completed_count: int
    failed_count: int
    created_at: UTCDateTime
    updated_at: UTCDateTime


class SessionDetail(Session):
    generations: list[Generation]
    total_generations: int
    next_cursor: str | None = None
