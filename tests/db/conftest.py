from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import peewee as pw
import pytest

from sftui import db
from sftui.db import values
from tests.db.helpers import API_WORKFLOW, PARAMETERS, FrozenClock


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sftui.db"


@pytest.fixture
def database(db_path: Path) -> Iterator[pw.SqliteDatabase]:
    conn = db.open_database(db_path)
    yield conn
    db.close_database()


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
