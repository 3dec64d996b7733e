"""Point 5: two processes on one database (two CLIs at once; a reader polling like the TUI)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sftui import db
from sftui.comfy.simulator import SimulatorThread
from sftui.generation.watch import SessionChanges, changes_since
from tests.faults.helpers import (
    CliProcess,
    assert_counters_exact,
    assert_integrity,
    assert_outputs_present,
    connect,
    unfinished,
)


def _generate(sim: SimulatorThread, db_path: Path, seed: int, count: int) -> CliProcess:
    return CliProcess(
        "generate", "--server", sim.url, "--db", str(db_path), "--session", "shared", "--prompt", "two at once",
        "--steps", "3", "--width", "64", "--height", "64", "--seed", str(seed), "--count", str(count), "--json",
    )


def test_two_generate_processes_lose_no_write(simulator: SimulatorThread, tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "sftui.db"
    first, second = _generate(simulator, db_path, 1000, 5), _generate(simulator, db_path, 2000, 5)
    results = [first.finish(90), second.finish(90)]
    for code, lines, err in results:
        assert code == 0, err
        output = "".join(lines) + err
        assert "database is locked" not in output and "Traceback" not in output
        final = json.loads(lines[-1])
        assert final["success"] is True and len(final["data"]) == 5
    with connect(db_path) as con:
        sessions = con.execute("SELECT id, title FROM comfyui_sessions").fetchall()
        seeds = sorted(r[0] for r in con.execute("SELECT seed FROM comfyui_generations"))
    # The session did not exist: both named it at once, and exactly one was made.
    assert [s["title"] for s in sessions] == ["shared"]
    assert seeds == [*range(1000, 1005), *range(2000, 2005)]
    (counts,) = assert_counters_exact(db_path).values()
    assert counts == {"generation_count": 10, "completed_count": 10, "failed_count": 0}
    assert unfinished(db_path) == [] and assert_outputs_present(db_path) == 10
    assert_integrity(db_path)


def test_a_reader_sees_another_process_generations_without_restarting(simulator: SimulatorThread, tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "sftui.db"
    db.open_database(db_path)
    try:
        session = db.create_session("shared")
        poller = SessionChanges(session.id, since=db.get_session_summary(session.id).created_at)
        writer = _generate(simulator, db_path, 7, 3)
        versions: dict[str, list[tuple[str, object]]] = {}
        deadline = time.monotonic() + 60
        seen_live: set[str] = set()
        while writer.proc.poll() is None and time.monotonic() < deadline:
            for gen in poller.poll():
                versions.setdefault(gen.id, []).append((gen.status, gen.updated_at))
                seen_live.add(gen.id)
            time.sleep(0.01)
        code, _, err = writer.finish(30)
        assert code == 0, err
        for gen in poller.poll():
            versions.setdefault(gen.id, []).append((gen.status, gen.updated_at))
        assert len(versions) == 3 and seen_live == set(versions)  # seen while the other process worked
        assert any(status != "completed" for seen in versions.values() for status, _ in seen)
        for seen in versions.values():
            assert seen[-1][0] == "completed"
            stamps = [stamp for _, stamp in seen]
            assert stamps == sorted(set(stamps))  # every version once, in order
        assert poller.poll() == []  # nothing new: nothing returned
        assert {g.id for g in changes_since(session.id, None)} == set(versions)
    finally:
        db.close_database()
