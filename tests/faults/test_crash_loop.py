"""Point 4: writers SIGKILLed at random points, at least 50 times, lose nothing.

After the storm: the database is intact, every journaled commit is there, the
counters equal the recomputed counts, and the start-up housekeeping (orphan sweep,
then reconciliation) leaves no orphan file, no ``.part``, no dead lease and no row
pending or running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sftui import db
from sftui.comfy.client import ComfyClient
from sftui.comfy.simulator import SimulatorConfig, SimulatorThread
from sftui.generation.reconcile import reconcile_unfinished
from sftui.generation.sweep import sweep_orphans
from tests.conftest import REPO_ROOT
from tests.faults.helpers import assert_counters_exact, assert_integrity, assert_outputs_present, connect, unfinished

KILLS = 60


@pytest.fixture
def sim(tmp_path: Path):
    out = tmp_path / "sim-out"
    out.mkdir()
    # Big enough that some kills land inside a download.
    (out / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(192 * 1024))
    thread = SimulatorThread(SimulatorConfig(output_dir=out))
    thread.start()
    yield thread
    thread.stop()


def _journal(path: Path) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for line in path.read_text().splitlines():
        kind, *rest = line.split()
        out.setdefault(kind, []).append(tuple(rest))
    return out


def _on_disk(data_dir: Path) -> tuple[list[Path], list[Path]]:
    outputs = data_dir / "outputs"
    parts = list(outputs.rglob("*.part")) if outputs.exists() else []
    folders = [p for p in outputs.glob("*/*") if p.is_dir()] if outputs.exists() else []
    return parts, folders


def _generation_ids(db_path: Path) -> set[str]:
    with connect(db_path) as con:
        return {row[0] for row in con.execute("SELECT id FROM comfyui_generations")}


def _check_journal(db_path: Path, journal: dict[str, list[tuple[str, ...]]]) -> int:
    """Every journaled commit is in the database; returns how many rows were checked."""
    deleted = {sid for (sid,) in journal.get("deleting", [])}
    with connect(db_path) as con:
        rows = {r["id"]: dict(r) for r in con.execute("SELECT id, session_id, status, output_files FROM comfyui_generations")}
        sessions = {r[0] for r in con.execute("SELECT id FROM comfyui_sessions")}
    gone = [sid for (sid,) in journal.get("session", []) if sid not in deleted and sid not in sessions]
    assert gone == [], f"sessions lost: {gone}"
    created = {gid: sid for gid, sid in journal.get("created", [])}
    lost = [gid for gid, sid in created.items() if sid not in deleted and gid not in rows]
    assert lost == [], f"generations lost: {lost}"
    for (gid,) in journal.get("completed", []):
        if created[gid] not in deleted:
            assert rows[gid]["status"] == "completed"
            for item in json.loads(rows[gid]["output_files"]):
                assert (db_path.parent / item["path"]).is_file()
    for (gid,) in journal.get("failed", []):
        if created[gid] not in deleted:
            assert rows[gid]["status"] == "failed"
    return sum(1 for sid in created.values() if sid not in deleted)


async def test_random_sigkills_lose_nothing_and_leave_no_orphans(sim: SimulatorThread, tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "sftui.db"
    journal = tmp_path / "journal.txt"
    db.open_database(db_path)  # migrated once up front, like an existing install
    db.close_database()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.faults._writer", "--db", str(db_path), "--server", sim.url, "--ref", "big.png",
         "--journal", str(journal), "--kills", str(KILLS), "--seed", "7"],
        capture_output=True, cwd=REPO_ROOT, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    stats = json.loads(proc.stdout.decode().splitlines()[-1])
    assert stats["killed"] == stats["forked"] >= KILLS and stats["died"] == 0, proc.stderr.decode()[-2000:]

    assert_integrity(db_path)
    assert_counters_exact(db_path)
    entries = _journal(journal)
    assert len(entries.get("completed", [])) >= 10, "the writers got too little done to prove anything"
    db.open_database(db_path)
    try:
        checked = _check_journal(db_path, entries)
        parts_before, _ = _on_disk(db_path.parent)
        # sftui generate's start-up order: reconcile, then sweep.
        async with ComfyClient(sim.url) as client:
            settled = await reconcile_unfinished(db_path, client)
        report = sweep_orphans(db_path.parent)
    finally:
        db.close_database()

    assert settled.adopt == [] and unfinished(db_path) == []
    assert_integrity(db_path)
    assert_counters_exact(db_path)
    assert _check_journal(db_path, entries) == checked
    assert_outputs_present(db_path)
    parts, folders = _on_disk(db_path.parent)
    assert parts == [] and not any(p.exists() for p in parts_before)
    ids = _generation_ids(db_path)
    assert all(folder.name in ids for folder in folders), "an output folder has no generation"
    with connect(db_path) as con:
        listed = {item["path"] for (files,) in con.execute("SELECT output_files FROM comfyui_generations") for item in json.loads(files)}
    on_disk = {p.relative_to(db_path.parent).as_posix() for p in (db_path.parent / "outputs").rglob("*") if p.is_file()}
    assert on_disk == listed, "files nobody lists, or listed files missing"
    assert not list((db_path.parent / "leases").glob("*.lock"))
    print(
        f"\ncrash loop: {stats['killed']} SIGKILLs, {checked} journaled generations checked, 0 lost; "
        f"sweep removed {len(report.removed)} orphans ({len(parts_before)} .part) and {report.leases} dead leases; "
        f"reconcile settled {len(settled.failed)} unfinished rows"
    )
