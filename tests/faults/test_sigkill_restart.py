"""Point 3: ``sftui generate`` is SIGKILLed mid-generation, then started again.

Real processes against a simulator on 127.0.0.1. The second run reconciles before
its own work: what finished while sftui was down is downloaded, what still runs is
followed to its end, and nothing is posted twice.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from sftui.comfy.simulator import SimulatorConfig, SimulatorThread
from tests.conftest import run_cli
from tests.faults.helpers import (
    CliProcess,
    assert_counters_exact,
    assert_integrity,
    assert_outputs_present,
    connect,
    unfinished,
    wait_sync,
)


@pytest.fixture
def slow_sim(tmp_path: Path):
    sim = SimulatorThread(SimulatorConfig(step_delay=0.03, node_delay=0.001, output_dir=tmp_path / "sim-out"))
    sim.start()
    yield sim
    sim.stop()


def _generate(sim: SimulatorThread, db: Path, *extra: str) -> list[str]:
    return ["generate", "--server", sim.url, "--db", str(db), "--prompt", "a harbour", "--width", "64", "--height", "64", "--session", "harbour", "--json", *extra]


def _wait_both_queued_and_one_running(proc: CliProcess) -> None:
    proc.wait_for_event("generation:queued")
    proc.wait_for_event("generation:queued")
    if not any(json.loads(line).get("event") == "generation:progress" for line in proc.seen):
        proc.wait_for_event("generation:progress")


def _server_idle(sim: SimulatorThread) -> bool:
    queue = httpx.get(f"{sim.url}/queue", timeout=5).json()
    return not queue["queue_running"] and not queue["queue_pending"]


def _posted(sim: SimulatorThread) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in httpx.get(f"{sim.url}/history", timeout=5).json().values():
        gid = entry["prompt"][3]["extra_pnginfo"]["sftui"]["generation_id"]
        counts[gid] = counts.get(gid, 0) + 1
    return counts


def _rows(db: Path) -> dict[str, dict]:
    with connect(db) as con:
        return {row["id"]: dict(row) for row in con.execute("SELECT * FROM comfyui_generations ORDER BY created_at")}


def _check_done(db: Path, sim: SimulatorThread, expected: int) -> dict[str, dict]:
    rows = _rows(db)
    assert len(rows) == expected
    assert [r["status"] for r in rows.values()] == ["completed"] * expected, [(r["status"], r["error"]) for r in rows.values()]
    assert unfinished(db) == []
    assert assert_outputs_present(db) == expected
    (counts,) = assert_counters_exact(db).values()
    assert counts == {"generation_count": expected, "completed_count": expected, "failed_count": 0}
    assert_integrity(db)
    # Every generation reached the server exactly once.
    assert _posted(sim) == {gid: 1 for gid in rows}
    assert not any((db.parent / "leases").glob("*.lock"))
    return rows


def test_outputs_that_finished_while_sftui_was_down_are_downloaded(slow_sim: SimulatorThread, tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    first = CliProcess(*_generate(slow_sim, db, "--count", "2", "--steps", "10", "--seed", "21"))
    _wait_both_queued_and_one_running(first)
    first.kill()
    left = _rows(db)
    assert len(left) == 2 and {r["status"] for r in left.values()} <= {"pending", "running"}
    wait_sync(lambda: _server_idle(slow_sim), 20, "the server to finish both prompts")

    again = run_cli(*_generate(slow_sim, db, "--count", "1", "--steps", "2", "--seed", "99"))
    assert again.returncode == 0, again.stderr.decode()
    assert b"Traceback" not in again.stderr
    assert b"recovered generations left by an earlier run: 2 completed" in again.stderr
    lines = [json.loads(line) for line in again.stdout.decode().splitlines()]
    settled = [line["data"]["id"] for line in lines if line.get("event") == "generation:completed"]
    assert set(left) <= set(settled)  # the recovered ones are announced too
    rows = _check_done(db, slow_sim, 3)
    for gid, before in left.items():
        assert rows[gid]["prompt_id"] == before["prompt_id"]  # settled from history, not reposted
        for item in json.loads(rows[gid]["output_files"]):
            assert (db.parent / item["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_generations_still_running_are_adopted_and_followed_to_the_end(slow_sim: SimulatorThread, tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    first = CliProcess(*_generate(slow_sim, db, "--count", "2", "--steps", "40", "--seed", "5"))
    _wait_both_queued_and_one_running(first)
    first.kill()
    assert not _server_idle(slow_sim)

    again = CliProcess(*_generate(slow_sim, db, "--count", "1", "--steps", "2", "--seed", "6"))
    code, lines, err = again.finish(60)
    assert code == 0, err
    assert "database is locked" not in err and "Traceback" not in err
    assert "recovered generations left by an earlier run:" in err and "still running" in err
    _check_done(db, slow_sim, 3)
