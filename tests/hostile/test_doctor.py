"""`sftui doctor` against a healthy simulator and database, a dead server, broken proxies,
and databases with planted problems; plus the terminal heuristics."""

from __future__ import annotations

import json
import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sftui.doctor import check_terminal
from tests.conftest import run_cli
from tests.hostile.fake_comfy import FakeComfy


def doctor(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, dict[str, Any]]]:
    proc = run_cli("doctor", "--json", *args, env=env)
    assert proc.stderr == b"", proc.stderr
    envelope = json.loads(proc.stdout)
    data = envelope["data"]
    return proc.returncode, envelope, {c["name"]: c for c in data["checks"]}


@pytest.fixture
def generated_db(simulator, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    db = tmp_path / "data" / "d.db"
    proc = run_cli("generate", "--server", simulator.url, "--prompt", "x", "--steps", "1", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    return db, json.loads(proc.stdout.splitlines()[-1])["data"]


def test_healthy_simulator_and_database(simulator, generated_db: tuple[Path, dict[str, Any]]) -> None:
    db, _ = generated_db
    code, envelope, checks = doctor("--server", simulator.url, "--db", str(db))
    assert code == 0 and envelope["success"] is True
    for name in ("config", "database", "migrations", "orphans", "server", "version", "origin", "websocket"):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["database"]["summary"] == f"{db}: integrity ok"
    assert checks["migrations"]["details"]["pending"] == [] and len(checks["migrations"]["details"]["applied"]) >= 3
    assert checks["version"]["details"] == {"comfyui_version": "0.3.64", "simulator": True}
    # The simulator runs ComfyUI's Origin check, so the probe is refused.
    assert checks["origin"]["details"]["refused"] is True
    assert checks["images"]["status"] == "warn"  # a subprocess with pipes is no terminal

    human = run_cli("doctor", "--server", simulator.url, "--db", str(db))
    assert human.returncode == 0
    lines = human.stdout.decode().splitlines()
    assert lines[-1] == f"0 failed, 1 warning(s), {len(checks) - 1} ok"
    assert any(line.startswith("ok    server") for line in lines) and any("fix: " in line for line in lines)


def test_unreachable_server_fails_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, envelope, checks = doctor("--server", f"http://127.0.0.1:{port}", "--db", str(tmp_path / "none.db"))
    assert code == 1 and envelope["success"] is False
    assert envelope["error"] == {"code": "doctor_failed", "message": "1 check(s) failed: server"}
    assert checks["server"]["summary"] == f"cannot reach ComfyUI at http://127.0.0.1:{port}: connection refused"
    assert "sftui demo-server" in checks["server"]["fix"]
    assert "version" not in checks and "websocket" not in checks
    assert checks["database"]["status"] == "ok" and "creates it on first use" in checks["database"]["summary"]
    assert not (tmp_path / "none.db").exists()  # the doctor never creates a database

    human = run_cli("doctor", "--server", f"http://127.0.0.1:{port}", "--db", str(tmp_path / "none.db"))
    assert human.returncode == 1
    assert b"FAIL  server" in human.stdout and human.stderr.decode().strip() == "1 failed, 1 warning(s), 2 ok"


def test_planted_problems_are_counted(generated_db: tuple[Path, dict[str, Any]], simulator) -> None:
    from sftui import db as store
    from sftui.generation.lease import ClientLease

    db, gen = generated_db
    data_dir = db.parent
    outputs = data_dir / "outputs"
    # Two orphan folders (a generation without a row, a session without a row) and a partial download.
    (outputs / gen["session_id"] / str(uuid.uuid4())).mkdir(parents=True)
    (outputs / str(uuid.uuid4()) / str(uuid.uuid4())).mkdir(parents=True)
    (outputs / gen["session_id"] / gen["id"] / "next.png.part").write_bytes(b"half")
    # A listed output deleted behind sftui's back.
    (data_dir / gen["output_files"][0]["path"]).unlink()
    # One running generation whose process is gone, one whose process (this test) is alive.
    store.open_database(db)
    try:
        for client in ("dead-client", "live-client"):
            row = store.create_generation(session_id=gen["session_id"], prompt_text="p", parameters={}, workflow_json_snapshot="{}", client_id=client)
            store.mark_generation_running(row.id)
    finally:
        store.close_database()
    lease = ClientLease.acquire(data_dir, "live-client")
    try:
        code, envelope, checks = doctor("--server", simulator.url, "--db", str(db))
    finally:
        lease.release()
    assert code == 0 and envelope["success"] is True  # warnings, no failure
    orphans = checks["orphans"]
    assert orphans["status"] == "warn"
    sweep = orphans["details"].pop("sweep_would_remove")
    assert orphans["details"] == {"orphan_folders": 2, "part_files": 1, "stale_unfinished": 1, "missing_files": 1}
    # The start-up sweep's own dry run agrees (and drops the generation's folder its .part emptied),
    # and the advice names what it will remove.
    folder = f"outputs/{gen['session_id']}/{gen['id']}"
    assert len(sweep) == 4 and f"{folder}/next.png.part" in sweep and folder in sweep
    assert all(item in orphans["fix"] for item in sweep)
    assert "1 pending/running generation(s) whose process is gone" in orphans["summary"] and "reconciles" in orphans["fix"]


def test_pending_and_unknown_migrations(generated_db: tuple[Path, dict[str, Any]], simulator) -> None:
    db, _ = generated_db
    con = sqlite3.connect(db)
    last = con.execute("SELECT name FROM schema_migrations ORDER BY name DESC").fetchone()[0]
    con.execute("DELETE FROM schema_migrations WHERE name = ?", (last,))
    con.commit()
    _, _, checks = doctor("--server", simulator.url, "--db", str(db))
    assert checks["migrations"]["status"] == "warn" and checks["migrations"]["details"]["pending"] == [last]
    con.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?), ('9999_from_the_future', '2030-01-01')", (last, "2026-01-01"))
    con.commit()
    con.close()
    code, _, checks = doctor("--server", simulator.url, "--db", str(db))
    assert code == 1 and checks["migrations"]["status"] == "fail" and "9999_from_the_future" in checks["migrations"]["summary"]


def test_damaged_databases_fail(tmp_path: Path, simulator) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    code, _, checks = doctor("--server", simulator.url, "--db", str(garbage))
    assert code == 1 and checks["database"]["status"] == "fail" and "not a database" in checks["database"]["summary"]

    # An index that no longer matches its table: what a torn write or a bad disk leaves.
    damaged = tmp_path / "damaged.db"
    con = sqlite3.connect(damaged)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, w TEXT)")
    con.execute("CREATE INDEX t_v ON t (v)")
    con.executemany("INSERT INTO t (v, w) VALUES (?, ?)", [(f"value {i:05d}", str(9999 - i)) for i in range(300)])
    con.commit()
    con.execute("PRAGMA writable_schema = ON")
    con.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX t_v ON t (w)' WHERE name = 't_v'")
    con.commit()
    con.close()
    code, _, checks = doctor("--server", simulator.url, "--db", str(damaged))
    assert code == 1 and checks["database"]["status"] == "fail"
    assert "integrity check found 20 problem(s), first: row 1 missing from index t_v" in checks["database"]["summary"]
    assert ".recover" in checks["database"]["fix"] and len(checks["database"]["details"]["problems"]) == 20


def _answer(status: int):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=f"{status}")

    return handler


@pytest.mark.parametrize(("status", "advice"), [(403, "drop Origin"), (401, "[headers]")])
def test_a_refusing_proxy_gets_specific_advice(fake: FakeComfy, status: int, advice: str, tmp_path: Path) -> None:
    fake.overrides["/system_stats"] = _answer(status)
    code, _, checks = doctor("--server", fake.url, "--db", str(tmp_path / "x.db"))
    assert code == 1 and checks["server"]["status"] == "fail" and advice in checks["server"]["fix"]


def test_a_proxy_that_breaks_websockets_and_ignores_origin(fake: FakeComfy, tmp_path: Path) -> None:
    fake.overrides["/ws"] = _answer(404)
    code, _, checks = doctor("--server", fake.url, "--db", str(tmp_path / "x.db"))
    assert code == 1
    assert checks["websocket"]["status"] == "fail" and "HTTP 404" in checks["websocket"]["summary"] and "Upgrade" in checks["websocket"]["fix"]
    assert checks["origin"]["details"]["refused"] is False  # this server has no Origin check
    assert checks["version"]["details"] == {"comfyui_version": "0.3.64", "simulator": False}
    assert [s.headers.get("Origin") for s in fake.requests("/system_stats")] == [None, "http://sftui-doctor.invalid"]


def test_config_headers_reach_every_probe(fake: FakeComfy, config_file: Path, tmp_path: Path) -> None:
    fake.required_headers = {"Authorization": "Bearer doctor-token"}
    config_file.write_text('[headers]\nAuthorization = "Bearer doctor-token"\n', encoding="utf-8")
    code, envelope, checks = doctor("--server", fake.url, "--db", str(tmp_path / "x.db"))
    assert code == 0 and envelope["success"] is True
    assert checks["server"]["status"] == checks["websocket"]["status"] == "ok"
    assert checks["origin"]["status"] == "ok" and checks["origin"]["details"] == {"refused": False, "status": 200}
    assert all(seen.headers.get("Authorization") == "Bearer doctor-token" for seen in fake.seen) and len(fake.ws_upgrades) == 1
    assert b"doctor-token" not in json.dumps(envelope).encode()


def test_a_broken_config_is_reported_and_the_rest_still_runs(config_file: Path, simulator, tmp_path: Path) -> None:
    config_file.write_text("server = [1\n", encoding="utf-8")
    code, _, checks = doctor("--server", simulator.url, "--db", str(tmp_path / "x.db"))
    assert code == 1 and checks["config"]["status"] == "fail" and "is not valid TOML" in checks["config"]["summary"]
    assert checks["server"]["status"] == "ok"


@pytest.mark.parametrize(
    ("env", "protocol", "status"),
    [
        ({"TERM": "xterm-kitty"}, "tgp", "ok"),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}, "tgp", "ok"),
        ({"TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"}, "tgp", "ok"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, "sixel", "ok"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, "sixel", "ok"),
        ({"TERM": "foot"}, "sixel", "ok"),
        ({"TERM": "xterm-256color", "KONSOLE_VERSION": "230804"}, "sixel", "ok"),
        ({"TERM": "xterm-256color", "WT_SESSION": "x"}, "sixel", "ok"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "Apple_Terminal"}, "halfcell", "warn"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "vscode"}, "halfcell", "warn"),
        ({"TERM": "xterm-256color"}, "halfcell", "warn"),
        ({"TERM": "linux"}, "halfcell", "warn"),
        ({}, "halfcell", "warn"),
    ],
)
def test_terminal_protocol_guess(env: dict[str, str], protocol: str, status: str) -> None:
    (images,) = check_terminal(env, isatty=True)
    assert images.details["protocol"] == protocol and images.status == status
    assert (images.fix is None) == (status == "ok")


def test_terminal_tmux_ssh_and_config() -> None:
    checks = {c.name: c for c in check_terminal({"TERM": "tmux-256color", "TMUX": "/tmp/t,1,0", "SSH_CONNECTION": "1 2 3 4"}, isatty=True, tmux_passthrough=lambda: "off")}
    assert checks["tmux"].status == "warn" and "set -g allow-passthrough on" in checks["tmux"].fix
    assert checks["ssh"].status == "ok" and checks["ssh"].details == {"ssh": True}
    (_, tmux) = check_terminal({"TERM": "xterm-kitty", "TMUX": "x"}, isatty=True, tmux_passthrough=lambda: "on")
    assert tmux.status == "ok"
    (off,) = check_terminal({"TERM": "dumb"}, isatty=True, images="off")
    assert off.status == "ok" and off.details["protocol"] == "off"
    (piped,) = check_terminal({"TERM": "xterm-kitty"}, isatty=False)
    assert piped.status == "warn" and "not run in a terminal" in piped.summary
