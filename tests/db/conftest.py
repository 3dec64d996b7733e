from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import peewee as pw
import pytest

from sftui import db
from sftui.db import values

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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sftui.db"


@pytest.fixture
def database(db_path: Path) -> Iterator[pw.SqliteDatabase]:
    conn = db.open_database(db_path)
    yield conn
    db.close_database()


class FrozenClock:
    """Replaces ``values.utcnow``; ``advance`` moves it, otherwise it stands still."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc))
    monkeypatch.setattr(values, "utcnow", frozen)
    return frozen


@pytest.fixture
def make_generation(database: pw.SqliteDatabase) -> Callable[..., db.Generation]:
    def make(session_id: str, **overrides: Any) -> db.Generation:
        kwargs: dict[str, Any] = {
            "session_id": session_id,
            "prompt_text": "a mountain at dusk",
            "parameters": PARAMETERS,
            "workflow_json_snapshot": API_WORKFLOW,
        }
        kwargs.update(overrides)
        return db.create_generation(**kwargs)

    return make


def sql_trace(conn: pw.SqliteDatabase) -> list[str]:
    """The statements this thread's connection runs from now on (with bound values inlined)."""
    statements: list[str] = []
    conn.connection().set_trace_callback(statements.append)
    return statements
