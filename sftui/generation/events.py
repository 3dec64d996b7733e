"""§5.4's generation events, as plain data the CLI prints and the TUI turns into messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

EventName = Literal[
    "generation:queued",
    "generation:started",
    "generation:progress",
    "generation:preview",
    "generation:completed",
    "generation:failed",
]


@dataclass(frozen=True)
class GenerationEvent:
    event: EventName
    data: dict[str, Any]
    #: Preview image bytes travel beside the JSON payload, never inside it.
    image: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def generation_id(self) -> str:
        return self.data["id"]

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "data": self.data}


EventSink = Callable[[GenerationEvent], None]


def queued(gen: Any) -> GenerationEvent:
    return GenerationEvent("generation:queued", {"id": gen.id, "session_id": gen.session_id, "status": "pending", "prompt_id": gen.prompt_id, "seed": gen.seed, "batch_index": gen.batch_index})


def started(gen_id: str, session_id: str) -> GenerationEvent:
    return GenerationEvent("generation:started", {"id": gen_id, "session_id": session_id, "status": "running"})


def progress(gen_id: str, percent: float, current_node: str | None, value: int | None = None, maximum: int | None = None) -> GenerationEvent:
    return GenerationEvent(
        "generation:progress",
        {"id": gen_id, "progress": round(percent, 1), "current_node": current_node, "value": value, "max": maximum},
    )


def preview(gen_id: str, image: bytes, image_type: str) -> GenerationEvent:
    return GenerationEvent("generation:preview", {"id": gen_id, "image_type": image_type, "size": len(image)}, image=image)


def completed(gen: Any) -> GenerationEvent:
    return GenerationEvent(
        "generation:completed",
        {"id": gen.id, "session_id": gen.session_id, "status": "completed", "outputs": list(gen.outputs), "generation_time_seconds": gen.generation_time_seconds},
    )


def failed(gen: Any) -> GenerationEvent:
    return GenerationEvent("generation:failed", {"id": gen.id, "session_id": gen.session_id, "status": "failed", "error": gen.error})
