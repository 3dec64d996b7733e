"""``sessions delete`` and ``workflows delete`` ask first; without a terminal only ``--yes`` deletes."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import run_cli


def _seed(db: Path, generations: int) -> str:
    done = run_cli("dev", "seed", "--db", str(db), "--sessions", "1", "--generations", str(generations), "--json")
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)["data"]["session_ids"][0]


def _sessions(db: Path) -> list[str]:
    return [s["id"] for s in json.loads(run_cli("sessions", "list", "--json", "--db", str(db)).stdout)["data"]]


def _in_a_terminal(args: list[str], answer: bytes, timeout: float = 60) -> tuple[int, str]:
    """Run sftui with a pseudo-terminal as stdin and stderr (stdout piped); type ``answer`` at the question."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sftui", *args], stdin=slave, stderr=slave, stdout=subprocess.PIPE,
                            env={**os.environ, "COLUMNS": "100", "TERM": "xterm-256color"})
    os.close(slave)
    seen, answered = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(master, answer)
                answered = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert answered, seen.decode(errors="replace")[-500:]
    return code, seen.decode(errors="replace")


def test_without_a_terminal_only_yes_deletes(tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    session = _seed(db, 3)
    refused = run_cli("sessions", "delete", session, "--db", str(db))
    assert refused.returncode == 1 and b"Traceback" not in refused.stderr
    line = refused.stderr.decode().strip()
    assert line.startswith("sftui: error: session ") and line.endswith(" not deleted: pass --yes to confirm (there is no terminal to ask on)")
    assert _sessions(db) == [session] and any((db.parent / "outputs" / session).iterdir())

    as_json = run_cli("sessions", "delete", session, "--json", "--db", str(db))
    assert json.loads(as_json.stdout)["error"]["code"] == "not_confirmed" and _sessions(db) == [session]

    done = run_cli("sessions", "delete", session, "--yes", "--json", "--db", str(db))
    assert json.loads(done.stdout)["data"] == {"id": session, "deleted": True, "generations_deleted": 3}
    assert _sessions(db) == [] and not (db.parent / "outputs" / session).exists()


def test_in_a_terminal_it_asks_and_shows_the_files_going(tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    session = _seed(db, 40)

    code, shown = _in_a_terminal(["sessions", "delete", session, "--db", str(db)], b"n\n")
    assert "and its 40 generations (with their image files)? This cannot be undone. [y/N]" in shown
    assert code == 1 and "not deleted" in shown and _sessions(db) == [session]

    folders = len(list((db.parent / "outputs" / session).iterdir()))  # failed generations have none
    code, shown = _in_a_terminal(["sessions", "delete", session, "--db", str(db)], b"y\n")
    assert code == 0, shown
    assert "removing image folders" in shown and f"{folders}/{folders}" in shown  # the bar, at its end
    assert _sessions(db) == [] and not (db.parent / "outputs" / session).exists()


def test_deleting_a_workflow_asks_too(tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    workflow = tmp_path / "wf.json"
    workflow.write_text(json.dumps({"1": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}}}))
    imported = run_cli("workflows", "import", str(workflow), "--name", "Tiny", "--json", "--db", str(db))
    assert imported.returncode == 0, imported.stderr.decode()
    refused = run_cli("workflows", "delete", "Tiny", "--db", str(db))
    assert refused.returncode == 1
    assert refused.stderr.decode().strip() == "sftui: error: workflow 'Tiny' not deleted: pass --yes to confirm (there is no terminal to ask on)"
    assert run_cli("workflows", "delete", "Tiny", "--yes", "--db", str(db)).returncode == 0
    assert json.loads(run_cli("workflows", "list", "--json", "--db", str(db)).stdout)["data"] == []
