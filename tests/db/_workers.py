"""Process targets for the concurrency tests (importable by spawned children)."""

from __future__ import annotations

from typing import Any

from sftui import db


def write_generations(db_path: str, session_id: str, count: int, tag: str, barrier: Any = None) -> None:
    db.open_database(db_path)
    if barrier is not None:
        barrier.wait(30)
    for i in range(count):
        gen = db.create_generation(
            session_id=session_id,
            prompt_text=f"{tag}-{i}",
            parameters={"seed": 2**64 - 1 - i, "steps": 4},
            workflow_json_snapshot='{"3": {"class_type": "KSampler", "inputs": {}}}',
        )
        db.mark_generation_running(gen.id)
        db.complete_generation(gen.id, outputs=[f"{tag}-{i}.png"], output_files=[], generation_time_seconds=0.01)
    db.close_database()


def open_fresh(db_path: str, barrier: Any, results: Any) -> None:
    barrier.wait(30)
    db.open_database(db_path)
    results.put(len(db.list_sessions()))
    db.close_database()
