"""Generations asked for while the server is away: kept in order, shown as pending cards (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sftui.generation.service import GenerateRequest


@dataclass(frozen=True)
class LocalRequest:
    """A generation asked for while disconnected: not planned, not stored, waiting here."""

    id: str
    request: GenerateRequest
    created_at: datetime


@dataclass(frozen=True)
class LocalQueueChanged:
    requests: tuple[LocalRequest, ...]


@dataclass(frozen=True)
class LocalRequestFailed:
    request: LocalRequest
    message: str


_SHOWN = ("width", "height", "steps", "cfg_scale", "sampler_name", "scheduler", "checkpoint_name")


def local_row(local: LocalRequest) -> Any:
    """A pending ``Generation`` for a request not sent yet, so that it shows as a card."""
    from sftui.db import Generation

    request = local.request
    params = request.parameters or {}
    seed = params.get("seed")
    return Generation(
        id=local.id,
        session_id=request.session or "",
        prompt_text=request.prompt_text,
        negative_prompt=request.negative_prompt,
        parameters={},
        seed=seed if isinstance(seed, int) and seed >= 0 else None,  # -1 is chosen at submission
        batch_size=int(params.get("batch_size") or 1),
        loras_used=[],
        status="pending",
        outputs=[],
        output_files=[],
        batch_index=0,
        created_at=local.created_at,
        updated_at=local.created_at,
        **{key: params[key] for key in _SHOWN if params.get(key) is not None},
    )
