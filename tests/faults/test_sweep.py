"""Point 4's orphan rule, case by case: what ``sweep_orphans`` removes and what it must keep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftui import db
from sftui.generation.lease import ClientLease, lease_path
from sftui.generation.outputs import output_destinations
from sftui.generation.sweep import request_sweep, sweep_needed, sweep_orphans


@pytest.fixture
def data_dir(tmp_path: Path):
    db.open_database(tmp_path / "data" / "sftui.db")
    yield tmp_path / "data"
    db.close_database()


def _gen(session_id: str, client_id: str = "gone", *, status: str = "running") -> db.Generation:
    gen = db.create_generation(
        session_id=session_id, prompt_text="p", parameters={"seed": 1}, workflow_json_snapshot=json.dumps({"1": {}}), client_id=client_id
    )
    if status != "pending":
        db.mark_generation_running(gen.id)
    return gen


def _files(data_dir: Path, gen: db.Generation, *names: str) -> list[Path]:
    folder = data_dir / "outputs" / gen.session_id / gen.id
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in names]
    for path in paths:
        path.write_bytes(b"x")
    return paths


def test_sweep_removes_orphans_and_keeps_what_is_in_use(data_dir: Path, tmp_path: Path) -> None:
    session = db.create_session("s")
    live = ClientLease.acquire(data_dir, "alive")
    try:
        busy = _gen(session.id, "alive")
        busy_files = _files(data_dir, busy, "a.png", "b.png.part")
        dead = _gen(session.id)
        dead_done, dead_part = _files(data_dir, dead, "a.png", "b.png.part")
        done = _gen(session.id)
        kept, extra = _files(data_dir, done, "a.png", "stray.png")
        db.complete_generation(
            done.id, outputs=["a.png"], output_files=[{"filename": "a.png", "path": kept.relative_to(data_dir).as_posix()}], generation_time_seconds=1.0
        )
        outside = tmp_path / "precious.txt"
        outside.write_text("not ours")
        (kept.parent / "link").symlink_to(outside)
        failed = _gen(session.id)
        failed_folder = _files(data_dir, failed, "partial.png")[0].parent
        db.fail_generation(failed.id, error="boom")
        no_row = data_dir / "outputs" / session.id / "00000000-0000-0000-0000-00000000dead"
        no_session = data_dir / "outputs" / "11111111-1111-1111-1111-111111111111"
        for folder in (no_row, no_session / "x"):
            folder.mkdir(parents=True)
            (folder / "img.png").write_bytes(b"x")

        preview = sweep_orphans(data_dir, dry_run=True)
        report = sweep_orphans(data_dir)
        assert preview.removed == report.removed  # a dry run lists exactly what a sweep removes
        assert sweep_orphans(data_dir).removed == []  # nothing left to do while the owner lives
    finally:
        live.release()
    assert all(p.exists() for p in busy_files)  # its owner may be writing right now
    assert dead_done.exists() and not dead_part.exists()
    assert kept.exists() and not extra.exists() and not (kept.parent / "link").exists() and outside.exists()
    assert not failed_folder.exists() and not no_row.exists() and not no_session.exists()
    assert len(report.removed) == 7  # 2 foreign folders, .part, stray file, symlink, failed file + folder
    # Once its owner is gone, the busy one's cut-short download goes too.
    assert sweep_orphans(data_dir).removed == [busy_files[1].relative_to(data_dir).as_posix()]


def test_output_names_never_look_like_partial_downloads(tmp_path: Path) -> None:
    (dest,) = output_destinations(tmp_path, "s", "g", ["render.part"])
    assert dest.name == "render.part_"


def _dead_lease(data_dir: Path, client_id: str) -> Path:
    """A lock file as a killed process leaves it: present, and nobody holds its lock."""
    path = lease_path(data_dir, client_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("4242")
    return path


def test_start_up_sweeps_generation_folders_only_after_a_death_or_a_failed_removal(data_dir: Path) -> None:
    session = db.create_session("s")
    done = _gen(session.id)
    kept, stray = _files(data_dir, done, "a.png", "stray.png")
    db.complete_generation(done.id, outputs=["a.png"], output_files=[{"filename": "a.png", "path": kept.relative_to(data_dir).as_posix()}], generation_time_seconds=1.0)
    gone_session = data_dir / "outputs" / "22222222-2222-2222-2222-222222222222"
    gone_session.mkdir(parents=True)

    assert not sweep_needed(data_dir)  # clean shutdowns leave nothing to look for
    light = sweep_orphans(data_dir, thorough=False)
    # A deleted session's folder is always found (cheap: one folder per session) ...
    assert light.removed == [gone_session.relative_to(data_dir).as_posix()] and not gone_session.exists()
    # ... the inside of generation folders only when asked.
    assert stray.exists()

    lease = _dead_lease(data_dir, "killed")
    assert sweep_needed(data_dir)
    report = sweep_orphans(data_dir, thorough=True)
    assert report.removed == [stray.relative_to(data_dir).as_posix()] and report.leases == 1 and not lease.exists()
    assert not sweep_needed(data_dir) and kept.exists()


def test_a_failed_removal_asks_the_next_start_up_for_a_thorough_sweep(data_dir: Path) -> None:
    request_sweep(data_dir)
    assert sweep_needed(data_dir)
    preview = sweep_orphans(data_dir, dry_run=True)
    assert preview.removed == [] and sweep_needed(data_dir)  # a dry run settles nothing
    sweep_orphans(data_dir)
    assert not sweep_needed(data_dir)


def test_an_orphan_that_cannot_be_removed_is_tried_again(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = db.create_session("s")
    failed = _gen(session.id)
    (partial,) = _files(data_dir, failed, "partial.png")
    db.fail_generation(failed.id, error="boom")
    real_unlink = Path.unlink

    def refuse(self: Path, missing_ok: bool = False) -> None:
        if self == partial:
            raise PermissionError("read-only")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    sweep_orphans(data_dir)
    assert partial.exists() and sweep_needed(data_dir)
    monkeypatch.undo()
    sweep_orphans(data_dir)
    assert not partial.exists() and not sweep_needed(data_dir)


def test_generate_sweeps_while_the_server_works_and_its_own_generation_is_kept(simulator, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    db_path = tmp_path / "gen" / "sftui.db"
    orphan = db_path.parent / "outputs" / "5d1f0000-0000-4000-8000-000000000001" / "gone"
    orphan.mkdir(parents=True)
    (orphan / "a.png").write_bytes(b"\x89PNG")  # a session deleted by a process that died before its files went
    proc = run_cli("generate", "--server", simulator.url, "--prompt", "p", "--steps", "2", "--json", "--db", str(db_path))
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout.decode().splitlines()[-1])["data"]
    assert not orphan.parent.exists()
    assert [(db_path.parent / f["path"]).is_file() for f in data["output_files"]] == [True]
