"""``seed_database`` / ``sftui dev seed``: realistic rows, exact counters, real files, reproducible."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sftui.devtools import SeedOptions, seed_database

SIZES = (3, 40, 120)


@pytest.fixture(autouse=True)
def _close_database():
    yield
    from sftui.db import close_database

    close_database()


@pytest.fixture
def seeded(tmp_path: Path):
    options = SeedOptions(db_path=tmp_path / "data" / "sftui.db", sizes=SIZES, rng_seed=7, images_per_size=3, cache_dir=tmp_path / "cache")
    report = seed_database(options)
    return options, report


def _rows(db_path: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_counts_and_counters_match_the_rows(seeded):
    options, report = seeded
    db = options.db_path
    assert report.sessions == len(SIZES) and report.generations == sum(SIZES)
    assert report.completed + report.failed == sum(SIZES) and report.completed > report.failed > 0
    by_session = {
        row["session_id"]: (row["n"], row["ok"], row["bad"])
        for row in _rows(db, "SELECT session_id, COUNT(*) n, SUM(status='completed') ok, SUM(status='failed') bad FROM comfyui_generations GROUP BY session_id")
    }
    sessions = _rows(db, "SELECT * FROM comfyui_sessions")
    assert sorted(row["generation_count"] for row in sessions) == sorted(SIZES)
    for row in sessions:
        assert by_session[row["id"]] == (row["generation_count"], row["completed_count"], row["failed_count"])
        last = _rows(db, "SELECT parameters, workflow_id, updated_at FROM comfyui_generations WHERE session_id=? ORDER BY created_at DESC LIMIT 1", row["id"])[0]
        assert json.loads(row["last_parameters"]) == json.loads(last["parameters"])
        # Activity is the latest change of any of its generations, as the app's own writes leave it.
        assert row["updated_at"] == _rows(db, "SELECT MAX(updated_at) m FROM comfyui_generations WHERE session_id=?", row["id"])[0]["m"]
    (workflow,) = _rows(db, "SELECT * FROM comfyui_workflows")
    used = _rows(db, "SELECT COUNT(*) n FROM comfyui_generations WHERE workflow_id=?", workflow["id"])[0]["n"]
    assert workflow["generation_count"] == used > 0
    assert _rows(db, "SELECT COUNT(*) n FROM comfyui_generations WHERE workflow_id IS NULL")[0]["n"] > 0
    assert not _rows(db, "SELECT id FROM comfyui_generations WHERE status NOT IN ('completed', 'failed')")


def test_created_at_strictly_increases_over_months(seeded):
    options, _ = seeded
    stamps = [row["created_at"] for row in _rows(options.db_path, "SELECT created_at FROM comfyui_generations ORDER BY rowid")]
    assert all(a < b for a, b in zip(stamps, stamps[1:])), "insertion order is time order, without ties"
    first, last = datetime.fromisoformat(stamps[0]), datetime.fromisoformat(stamps[-1])
    assert last - first > timedelta(days=60)
    for row in _rows(options.db_path, "SELECT * FROM comfyui_generations WHERE status='completed' LIMIT 50"):
        assert row["created_at"] < row["started_at"] < row["completed_at"] == row["updated_at"]
        assert row["generation_time_seconds"] > 0


def test_rows_are_varied_and_realistic(seeded):
    options, _ = seeded
    db = options.db_path
    assert _rows(db, "SELECT COUNT(DISTINCT prompt_text) n FROM comfyui_generations")[0]["n"] > sum(SIZES) // 3
    assert _rows(db, "SELECT COUNT(DISTINCT seed) n FROM comfyui_generations")[0]["n"] > sum(SIZES) // 2
    assert _rows(db, "SELECT COUNT(DISTINCT width || 'x' || height) n FROM comfyui_generations")[0]["n"] >= 2
    assert _rows(db, "SELECT COUNT(DISTINCT sampler_name) n FROM comfyui_generations")[0]["n"] >= 2
    failed = _rows(db, "SELECT error FROM comfyui_generations WHERE status='failed'")
    assert all(row["error"] and "\n" not in row["error"] for row in failed)


def test_snapshots_are_what_apply_parameters_gives(seeded):
    from sftui.comfy.simulator.catalog import Catalog
    from sftui.workflows.apply import apply_parameters
    from sftui.workflows.defaults import default_workflow

    options, _ = seeded
    info = Catalog().info
    rows = _rows(options.db_path, "SELECT * FROM comfyui_generations ORDER BY random() LIMIT 25")
    for row in rows:
        params = json.loads(row["parameters"])
        applied = apply_parameters(default_workflow(), params, prompt_text=row["prompt_text"], negative_prompt=row["negative_prompt"], object_info=info)
        assert json.loads(row["workflow_json_snapshot"]) == applied.prompt
        assert applied.parameters == params
        assert (row["width"], row["height"], row["steps"], row["seed"]) == (params["width"], params["height"], params["steps"], params["seed"])
        assert json.loads(row["loras_used"]) == params.get("loras", [])


def test_outputs_are_real_hardlinked_pngs_with_cached_thumbnails(seeded):
    from PIL import Image

    from sftui.ui.thumbnails import thumbnail_path

    options, report = seeded
    data_dir = options.db_path.parent
    files = []
    for row in _rows(options.db_path, "SELECT id, session_id, status, output_files, outputs FROM comfyui_generations"):
        entries = json.loads(row["output_files"])
        if row["status"] == "failed":
            assert entries == [] and json.loads(row["outputs"]) == []
            continue
        assert [e["filename"] for e in entries] == json.loads(row["outputs"]) and entries
        for entry in entries:
            path = data_dir / entry["path"]
            assert path.parent == data_dir / "outputs" / row["session_id"] / row["id"]
            files.append(path)
    assert len(files) == report.output_files == report.thumbnails
    inodes = {path.stat().st_ino for path in files}
    assert len(inodes) <= 5 * 3 < len(files), "outputs share a few pictures"
    with Image.open(files[0]) as image:
        assert image.format == "PNG" and image.width >= 8
    for path in files:
        assert thumbnail_path(path, options.cache_dir).is_file()


def test_same_rng_seed_gives_the_same_database(tmp_path: Path, seeded):
    options, _ = seeded
    again = SeedOptions(db_path=tmp_path / "again" / "sftui.db", sizes=SIZES, rng_seed=7, images_per_size=3)
    other = SeedOptions(db_path=tmp_path / "other" / "sftui.db", sizes=SIZES, rng_seed=8, images_per_size=3)
    seed_database(again)
    seed_database(other)

    def dump(db: Path, table: str) -> list[tuple]:
        return [tuple(row) for row in _rows(db, f"SELECT * FROM {table} ORDER BY id")]

    for table in ("comfyui_generations", "comfyui_sessions", "comfyui_workflows"):
        assert dump(options.db_path, table) == dump(again.db_path, table)
    assert dump(options.db_path, "comfyui_generations") != dump(other.db_path, "comfyui_generations")


def test_seeding_twice_adds_or_refuses(seeded):
    from sftui.errors import ConflictError

    options, _ = seeded
    with pytest.raises(ConflictError, match="--rng-seed 7"):
        seed_database(SeedOptions(db_path=options.db_path, sizes=(5,), rng_seed=7))
    seed_database(SeedOptions(db_path=options.db_path, sizes=(5, 0), rng_seed=9))
    sessions = _rows(options.db_path, "SELECT generation_count FROM comfyui_sessions")
    assert sorted(row["generation_count"] for row in sessions) == sorted((*SIZES, 5, 0))
    assert _rows(options.db_path, "SELECT COUNT(*) n FROM comfyui_generations")[0]["n"] == sum(SIZES) + 5
    assert sum(row["generation_count"] for row in _rows(options.db_path, "SELECT generation_count FROM comfyui_workflows")) == (
        _rows(options.db_path, "SELECT COUNT(*) n FROM comfyui_generations WHERE workflow_id IS NOT NULL")[0]["n"]
    )


def test_small_transactions_keep_counters_exact(tmp_path: Path):
    options = SeedOptions(db_path=tmp_path / "s.db", sizes=(37, 11), rng_seed=3, transaction_rows=7, images_per_size=1)
    report = seed_database(options)
    assert report.generations == 48
    for row in _rows(options.db_path, "SELECT s.generation_count c, (SELECT COUNT(*) FROM comfyui_generations g WHERE g.session_id = s.id) n FROM comfyui_sessions s"):
        assert row["c"] == row["n"]


@pytest.mark.parametrize("args, message", [(["--sessions", "0"], "--sessions"), (["--generations", "-1"], "--generations")])
def test_cli_refuses_bad_counts(tmp_path: Path, args: list[str], message: str):
    from tests.conftest import run_cli

    done = run_cli("dev", "seed", "--db", str(tmp_path / "x.db"), *args, "--json")
    assert done.returncode == 2
    envelope = json.loads(done.stdout)
    assert envelope["success"] is False and message in envelope["error"]["message"]


def test_cli_seed_then_sessions_show_pages_through(tmp_path: Path):
    from tests.conftest import run_cli

    db = tmp_path / "cli" / "sftui.db"
    done = run_cli("dev", "seed", "--db", str(db), "--sessions", "2", "--generations", "30", "--rng-seed", "5", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["data"]
    assert data["sessions"] == 2 and data["generations"] == 60 and data["elapsed_seconds"] > 0
    assert data["thumbnails"] == data["output_files"] > 0
    # The thumbnails went to the CLI's cache dir (XDG_CACHE_HOME, isolated by conftest).
    assert any((Path(os.environ["XDG_CACHE_HOME"]) / "sftui" / "thumbnails").rglob("*.png"))
    session = data["session_ids"][0]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        extra = ["--before", cursor] if cursor else []
        shown = run_cli("sessions", "show", session, "--db", str(db), "--limit", "8", "--json", *extra)
        assert shown.returncode == 0, shown.stderr
        page = json.loads(shown.stdout)["data"]
        assert page["total_generations"] == 30
        seen += [gen["id"] for gen in page["generations"]]
        stamps = [gen["created_at"] for gen in page["generations"]]
        assert stamps == sorted(stamps, reverse=True)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 30
    text = run_cli("sessions", "show", session, "--db", str(db), "--limit", "3")
    assert text.returncode == 0 and "older: sftui sessions show" in text.stdout.decode()


def test_cli_seed_does_not_import_textual(tmp_path: Path):
    import subprocess
    import sys

    code = (
        "import sys; from sftui.cli import run; "
        f"rc = run(['dev', 'seed', '--db', {str(tmp_path / 'n.db')!r}, '--sessions', '1', '--generations', '3']); "
        "assert rc == 0, rc; assert 'textual' not in sys.modules, 'textual was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
