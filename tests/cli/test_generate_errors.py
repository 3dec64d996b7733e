"""Bad input: one clear line, non-zero exit, no traceback, nothing half-written."""

from __future__ import annotations

import json
import socket
import sqlite3

import pytest

from tests.conftest import run_cli


def _counts(db) -> dict[str, int]:
    if not db.exists():
        return {}
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("comfyui_sessions", "comfyui_generations", "comfyui_workflows")}
    finally:
        con.close()


def _unfinished(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM comfyui_generations WHERE status IN ('pending','running')").fetchone()[0]
    finally:
        con.close()


def _assert_one_line_error(proc, *needles: str) -> str:
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "x.db"
    assert run_cli("sessions", "create", "existing", "--db", str(path)).returncode == 0
    return path


def test_non_json_workflow_file(simulator, db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    before = _counts(db)
    proc = run_cli("generate", "--server", simulator.url, "--workflow", str(bad), "--prompt", "x", "--db", str(db))
    _assert_one_line_error(proc, "bad.json")
    assert _counts(db) == before


def test_json_that_is_not_a_workflow(simulator, db, tmp_path):
    bad = tmp_path / "list.json"
    bad.write_text(json.dumps({"hello": "world"}))
    before = _counts(db)
    proc = run_cli("generate", "--server", simulator.url, "--workflow", str(bad), "--prompt", "x", "--db", str(db))
    _assert_one_line_error(proc, "list.json", "not a ComfyUI workflow")
    assert _counts(db) == before


def test_unknown_workflow_id(simulator, db):
    before = _counts(db)
    proc = run_cli("generate", "--server", simulator.url, "--workflow", "no-such-workflow", "--prompt", "x", "--db", str(db))
    _assert_one_line_error(proc, "no-such-workflow")
    assert _counts(db) == before


def test_unreachable_server(db):
    url = f"http://127.0.0.1:{_free_port()}"
    before = _counts(db)
    proc = run_cli("generate", "--server", url, "--prompt", "x", "--db", str(db), timeout=30)
    _assert_one_line_error(proc, url)
    assert _counts(db) == before


def test_unreachable_server_json_envelope(db):
    url = f"http://127.0.0.1:{_free_port()}"
    proc = run_cli("generate", "--server", url, "--prompt", "x", "--json", "--db", str(db), timeout=30)
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr
    envelope = json.loads(proc.stdout.decode().splitlines()[-1])
    assert envelope["success"] is False and url in envelope["error"]["message"]
    assert envelope["error"]["code"] == "server_unreachable"


def test_checkpoint_missing_on_server_is_refused_before_anything_is_stored(simulator, db):
    before = _counts(db)
    proc = run_cli("generate", "--server", simulator.url, "--prompt", "x", "--checkpoint", "missing.safetensors", "--db", str(db))
    _assert_one_line_error(proc, "missing.safetensors", "ckpt_name")
    assert _counts(db) == before


def test_server_400_with_node_errors_records_the_failure(simulator, db, reference_dir):
    # The captured workflow names a checkpoint this server lacks: locally only a warning (the
    # model list may be stale), and the server answers 400 with node_errors.
    workflow = reference_dir / "workflow_ksampler_api.json"
    proc = run_cli("generate", "--server", simulator.url, "--workflow", str(workflow), "--prompt", "x", "--db", str(db))
    err = proc.stderr.decode()
    assert proc.returncode != 0 and "Traceback" not in err
    assert "tiny_sd15_random.safetensors" in err
    assert _unfinished(db) == 0
    con = sqlite3.connect(db)
    status, error = con.execute("SELECT status, error FROM comfyui_generations").fetchone()
    assert status == "failed" and "ckpt_name" in error


def test_bad_flag_values_are_usage_errors(db):
    proc = run_cli("generate", "--prompt", "x", "--set", "nodot", "--db", str(db))
    _assert_one_line_error(proc, "NODE.FIELD=VALUE")
    proc = run_cli("generate", "--prompt", "x", "--seed", "-5", "--db", str(db))
    _assert_one_line_error(proc, "--seed")
