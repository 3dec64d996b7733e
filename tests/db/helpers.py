"""Shared test data and helpers for the storage tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import peewee as pw

API_WORKFLOW = json.dumps(
    {
        "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "model": ["4", 0]}},
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "a.safetensors"}},
    }
)

PARAMETERS: dict[str, Any] = {
    "width": 1024,
    "height": 768,
    "steps": 30,
    "cfg_scale": 7.5,
    "seed": 847293847,
    "sampler_name": "euler_ancestral",
    "scheduler": "karras",
    "batch_size": 2,
    "checkpoint_name": "sd_xl_base_1.0.safetensors",
    "loras": [{"name": "detail_tweaker_xl.safetensors", "strength_model": 0.5, "strength_clip": 0.25}],
    "3.denoise": 0.8,
}


class FrozenClock:
    """Replaces ``values.utcnow``; ``advance`` moves it, otherwise it stands still."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def sql_trace(conn: pw.SqliteDatabase) -> list[str]:
    """The statements this thread's connection runs from now on (with bound values inlined)."""
    statements: list[str] = []
    conn.connection().set_trace_callback(statements.append)
    return statements
