"""Typed views of ComfyUI's HTTP answers and of a prompt's final outcome."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OutcomeStatus = Literal["success", "error", "interrupted", "lost"]
TERMINAL_MESSAGES = ("execution_success", "execution_error", "execution_interrupted")

#: Every model here is first needed once a prompt is posted, so its validator is built
#: then, not at import: building one costs about a millisecond, and ``sftui generate``
#: would pay it before posting, where every millisecond is the user's wait (see
#: ``events.WHILE_RUNNING``). ``prompt_state.prepare_for_outcome`` builds those the end needs.
AFTER_POSTING = ConfigDict(frozen=True, defer_build=True)


class OutputRef(BaseModel):
    """One file a node reported; ``type`` is ``output`` for saved results, ``temp`` for previews."""

    model_config = AFTER_POSTING

    node_id: str
    filename: str
    subfolder: str = ""
    type: str = "output"
    # The key the node listed the file under ("images", "gifs", "audio", ...).
    kind: str = "images"

    def view_params(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}

    @property
    def is_output(self) -> bool:
        return self.type == "output"


def output_refs(node_id: str, output: Any) -> list[OutputRef]:
    """Every file listed in one node's UI output (``executed.output`` or a history ``outputs`` value)."""
    refs: list[OutputRef] = []
    if not isinstance(output, dict):
        return refs
    for kind, items in output.items():
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("filename"), str):
                refs.append(
                    OutputRef(
                        node_id=str(node_id),
                        filename=item["filename"],
                        subfolder=str(item.get("subfolder") or ""),
                        type=str(item.get("type") or "output"),
                        kind=str(kind),
                    )
                )
    return refs


class ExecutionErrorInfo(BaseModel):
    model_config = AFTER_POSTING

    node_id: str | None = None
    node_type: str | None = None
    exception_type: str = ""
    exception_message: str = ""
    traceback: list[str] = Field(default_factory=list)

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> ExecutionErrorInfo:
        tb = data.get("traceback")
        node_id = data.get("node_id")
        return cls(
            node_id=None if node_id is None else str(node_id),
            node_type=data.get("node_type"),
            exception_type=str(data.get("exception_type") or ""),
            exception_message=str(data.get("exception_message") or ""),
            traceback=[str(line) for line in tb] if isinstance(tb, list) else ([str(tb)] if tb else []),
        )

    def summary(self) -> str:
        """One line: ``node 4 (ImageBatch): RuntimeError: Sizes of tensors must match ...``."""
        where = f"node {self.node_id}" + (f" ({self.node_type})" if self.node_type else "")
        what = ": ".join(part for part in (self.exception_type, " ".join(self.exception_message.split())) if part)
        return f"{where}: {what}" if what else where


class QueuedPrompt(BaseModel):
    model_config = AFTER_POSTING

    prompt_id: str
    number: int | None = None
    node_errors: dict[str, Any] = Field(default_factory=dict)


class QueueState(BaseModel):
    """Prompt ids of ``GET /queue``: running first, pending in execution order."""

    model_config = AFTER_POSTING

    running: list[str] = Field(default_factory=list)
    pending: list[str] = Field(default_factory=list)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> QueueState:
        return cls(running=_queue_ids(raw.get("queue_running")), pending=_queue_ids(raw.get("queue_pending")))

    def contains(self, prompt_id: str) -> bool:
        return prompt_id in self.running or prompt_id in self.pending


def _queue_ids(items: Any) -> list[str]:
    # Each item is [number, prompt_id, prompt, extra_data, outputs_to_execute]; the server
    # keeps pending items in a heap, so sort by number to get execution order.
    rows = [item for item in items or [] if isinstance(item, list) and len(item) >= 2 and isinstance(item[1], str)]
    rows.sort(key=lambda item: item[0] if isinstance(item[0], (int, float)) else 0)
    return [item[1] for item in rows]


class HistoryEntry(BaseModel):
    """One prompt's entry in ``GET /history/{id}`` (written once the prompt finished)."""

    model_config = AFTER_POSTING

    prompt_id: str
    number: int | None = None
    prompt: dict[str, Any] = Field(default_factory=dict)
    extra_data: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    status_str: str | None = None
    completed: bool | None = None
    messages: list[tuple[str, dict[str, Any]]] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_raw(cls, prompt_id: str, raw: dict[str, Any]) -> HistoryEntry:
        prompt = raw.get("prompt")
        prompt = prompt if isinstance(prompt, list) else []
        status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
        messages = [
            (m[0], m[1])
            for m in status.get("messages") or []
            if isinstance(m, list) and len(m) == 2 and isinstance(m[0], str) and isinstance(m[1], dict)
        ]
        return cls(
            prompt_id=prompt_id,
            number=prompt[0] if prompt and isinstance(prompt[0], int) else None,
            prompt=prompt[2] if len(prompt) > 2 and isinstance(prompt[2], dict) else {},
            extra_data=prompt[3] if len(prompt) > 3 and isinstance(prompt[3], dict) else {},
            outputs=raw.get("outputs") if isinstance(raw.get("outputs"), dict) else {},
            status_str=status.get("status_str"),
            completed=status.get("completed"),
            messages=messages,
            meta=raw.get("meta") if isinstance(raw.get("meta"), dict) else {},
        )

    def message(self, kind: str) -> dict[str, Any] | None:
        return next((data for name, data in self.messages if name == kind), None)

    def outcome_status(self) -> OutcomeStatus | None:
        if self.message("execution_interrupted") is not None:
            return "interrupted"
        if self.message("execution_error") is not None or self.status_str == "error":
            return "error"
        if self.message("execution_success") is not None or (self.status_str == "success" and self.completed):
            return "success"
        return None

    def output_refs(self, *, include_temp: bool = False) -> list[OutputRef]:
        refs = [ref for node_id, output in self.outputs.items() for ref in output_refs(node_id, output)]
        return refs if include_temp else [ref for ref in refs if ref.is_output]

    def error(self) -> ExecutionErrorInfo | None:
        data = self.message("execution_error")
        return ExecutionErrorInfo.from_message(data) if data is not None else None

    def execution_time_s(self) -> float | None:
        start = self.message("execution_start")
        end = next((self.message(kind) for kind in TERMINAL_MESSAGES if self.message(kind) is not None), None)
        return elapsed_s(start and start.get("timestamp"), end and end.get("timestamp"))

    def cached_nodes(self) -> list[str]:
        data = self.message("execution_cached") or {}
        return [str(node) for node in data.get("nodes") or []]

    def fully_cached(self) -> bool:
        cached = set(self.cached_nodes())
        return bool(cached) and bool(self.prompt) and set(self.prompt) <= cached


def elapsed_s(start_ms: Any, end_ms: Any) -> float | None:
    """Server-side duration from two millisecond timestamps, or ``None`` when either is missing."""
    if not isinstance(start_ms, (int, float)) or not isinstance(end_ms, (int, float)) or end_ms < start_ms:
        return None
    return round((end_ms - start_ms) / 1000.0, 3)


class PromptOutcome(BaseModel):
    """How a tracked prompt ended. ``outputs`` holds only saved files (``type == "output"``)."""

    model_config = AFTER_POSTING

    prompt_id: str
    status: OutcomeStatus
    outputs: list[OutputRef] = Field(default_factory=list)
    error: ExecutionErrorInfo | None = None
    execution_time_s: float | None = None
    cached: bool = False

