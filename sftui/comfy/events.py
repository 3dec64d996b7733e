"""Typed ComfyUI WebSocket messages.

Text frames are ``{"type": ..., "data": {...}}``; each known ``type`` maps to
one model below, with ``data`` flattened into its fields. The field sets come
from the captures of a real server (ComfyUI 0.3.64); extra fields are ignored
so that newer servers keep working.

Which events name their prompt matters to anyone filtering (see tracker.py):
``executing`` replayed after a reconnect has no ``prompt_id``, and ``progress``,
``progress_state`` and binary previews of prompts posted without a client id
reach every socket.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from sftui.comfy.frames import MAX_FRAME_BYTES, PreviewImage, parse_binary_frame

log = logging.getLogger(__name__)

__all__ = [
    "ComfyEvent",
    "Executed",
    "Executing",
    "ExecutionCached",
    "ExecutionError",
    "ExecutionInterrupted",
    "ExecutionStart",
    "ExecutionSuccess",
    "FeatureFlags",
    "NodeProgress",
    "PreviewImage",
    "Progress",
    "ProgressState",
    "Status",
    "parse_binary_frame",
    "parse_text_frame",
]


def _node_id(value: Any) -> Any:
    # The wire uses strings; an int id from a custom node pack still names the same node.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


NodeId = Annotated[str, BeforeValidator(_node_id)]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


#: For the events of a running prompt: their validators are built on first use, not at
#: import. Building one costs about a millisecond, and ``sftui generate`` would pay it
#: before posting, where every millisecond is the user's wait; when such an event first
#: arrives, the server is busy with the prompt anyway (``execution_success``, which
#: arrives after the end, is built when the prompt is posted: see ``ComfyWatcher.track``).
#: The events a socket gets before any prompt (status, feature_flags) are built at import.
#: Validation is the same either way.
WHILE_RUNNING = ConfigDict(defer_build=True)


class Status(_Event):
    type: Literal["status"] = "status"
    queue_remaining: int | None = None
    sid: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        status = data.get("status")
        exec_info = status.get("exec_info") if isinstance(status, dict) else None
        remaining = exec_info.get("queue_remaining") if isinstance(exec_info, dict) else None
        return {"queue_remaining": remaining, "sid": data.get("sid")}


class ExecutionStart(_Event):
    model_config = WHILE_RUNNING
    type: Literal["execution_start"] = "execution_start"
    prompt_id: str
    timestamp: int | None = None


class ExecutionCached(_Event):
    model_config = WHILE_RUNNING
    type: Literal["execution_cached"] = "execution_cached"
    prompt_id: str
    nodes: list[NodeId] = Field(default_factory=list)
    timestamp: int | None = None


class Executing(_Event):
    """``node`` is ``None`` when the prompt is done; ``prompt_id`` is missing in reconnect replays."""

    model_config = WHILE_RUNNING
    type: Literal["executing"] = "executing"
    node: NodeId | None = None
    display_node: NodeId | None = None
    prompt_id: str | None = None


class Progress(_Event):
    model_config = WHILE_RUNNING
    type: Literal["progress"] = "progress"
    value: float
    max: float
    prompt_id: str | None = None
    node: NodeId | None = None


class NodeProgress(_Event):
    model_config = WHILE_RUNNING
    value: float
    max: float
    state: str
    node_id: NodeId | None = None
    prompt_id: str | None = None
    display_node_id: NodeId | None = None
    parent_node_id: NodeId | None = None
    real_node_id: NodeId | None = None


class ProgressState(_Event):
    model_config = WHILE_RUNNING
    type: Literal["progress_state"] = "progress_state"
    prompt_id: str | None = None
    nodes: dict[str, NodeProgress] = Field(default_factory=dict)


class Executed(_Event):
    """``output`` is the node's UI output, e.g. ``{"images": [{filename, subfolder, type}]}``."""

    model_config = WHILE_RUNNING
    type: Literal["executed"] = "executed"
    prompt_id: str
    node: NodeId
    display_node: NodeId | None = None
    output: dict[str, Any] = Field(default_factory=dict)


class ExecutionSuccess(_Event):
    model_config = WHILE_RUNNING
    type: Literal["execution_success"] = "execution_success"
    prompt_id: str
    timestamp: int | None = None


class ExecutionError(_Event):
    model_config = WHILE_RUNNING
    type: Literal["execution_error"] = "execution_error"
    prompt_id: str
    node_id: NodeId | None = None
    node_type: str | None = None
    executed: list[NodeId] = Field(default_factory=list)
    exception_message: str = ""
    exception_type: str = ""
    traceback: list[str] = Field(default_factory=list)
    current_inputs: Any = None
    current_outputs: Any = None
    timestamp: int | None = None


class ExecutionInterrupted(_Event):
    model_config = WHILE_RUNNING
    type: Literal["execution_interrupted"] = "execution_interrupted"
    prompt_id: str
    node_id: NodeId | None = None
    node_type: str | None = None
    executed: list[NodeId] = Field(default_factory=list)
    timestamp: int | None = None


class FeatureFlags(_Event):
    """The server's answer to our ``feature_flags`` message."""

    model_config = ConfigDict(frozen=True, extra="allow")
    type: Literal["feature_flags"] = "feature_flags"
    supports_preview_metadata: bool = False
    max_upload_size: int | None = None


ComfyEvent = Union[
    Status,
    ExecutionStart,
    ExecutionCached,
    Executing,
    Progress,
    ProgressState,
    Executed,
    ExecutionSuccess,
    ExecutionError,
    ExecutionInterrupted,
    FeatureFlags,
]

EVENT_TYPES: dict[str, type[_Event]] = {model.model_fields["type"].default: model for model in get_args(ComfyEvent)}


def parse_text_frame(raw: str | bytes) -> ComfyEvent | None:
    """Decode a text frame, or log why not and return ``None``."""
    if len(raw) > MAX_FRAME_BYTES:
        log.warning("skipping a %d-character text frame (limit %d)", len(raw), MAX_FRAME_BYTES)
        return None
    try:
        message = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        log.warning("skipping a text frame that is not JSON: %s", exc)
        return None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str) or not isinstance(message.get("data"), dict):
        log.warning("skipping a text frame without a string 'type' and an object 'data'")
        return None
    model = EVENT_TYPES.get(message["type"])
    if model is None:
        # Debug only: node packs broadcast their own types (e.g. system monitors) every second.
        log.debug("skipping a text frame of unknown type %r", message["type"][:80])
        return None
    try:
        # A stray "type" inside data would clash with the model's own discriminator.
        data = {key: value for key, value in message["data"].items() if key != "type"}
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        log.warning("skipping a malformed %r frame: %s", message["type"], _first_error(exc))
        return None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"]) or "data"
    return f"{where}: {err['msg']} ({exc.error_count()} error(s))"
