"""Point 6: slow or stalled servers give one clear line, and leave nothing pending or running.

``sftui generate`` runs as shipped in a subprocess, with its timeouts shortened to
1 s (see ``_short_timeouts``) so each case takes about a second.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sftui.comfy.simulator import SimulatorThread
from tests.conftest import REPO_ROOT
from tests.faults.helpers import assert_counters_exact, connect, unfinished
from tests.faults.proxy import ProxyThread


def _generate(url: str, db: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.faults._short_timeouts", "generate", "--server", url, "--db", str(db),
         "--prompt", "patience", "--steps", "2", "--width", "64", "--height", "64", *extra],
        capture_output=True, cwd=REPO_ROOT, timeout=30,
    )


def _one_line(proc: subprocess.CompletedProcess) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _rows(db: Path) -> int:
    if not db.exists():
        return 0
    with connect(db) as con:
        return con.execute("SELECT COUNT(*) FROM comfyui_generations").fetchone()[0]


@pytest.fixture
def silent_port():
    """Accepts TCP connections (the kernel completes the handshake) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server.getsockname()[1]


def test_server_that_accepts_but_never_answers_http(silent_port: int, tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    url = f"http://127.0.0.1:{silent_port}"
    line = _one_line(_generate(url, db))
    assert line == f"sftui: error: cannot reach ComfyUI at {url}: no answer to GET /object_info within 1 s"
    assert _rows(db) == 0


def test_server_whose_websocket_never_opens(simulator: SimulatorThread, tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    with ProxyThread(simulator.simulator.port, hold=(b"GET /ws",)) as proxy:
        line = _one_line(_generate(proxy.url, db))
        assert proxy.held >= 1
    assert line.startswith(f"sftui: error: cannot reach ComfyUI at ws://127.0.0.1:{proxy.port}/ws")
    assert line.endswith("timed out while connecting")
    assert _rows(db) == 0  # planned, but nothing stored before the socket opened


def test_server_that_stalls_on_post_prompt(simulator: SimulatorThread, tmp_path: Path) -> None:
    db = tmp_path / "data" / "sftui.db"
    with ProxyThread(simulator.simulator.port, hold=(b"POST /prompt",)) as proxy:
        proc = _generate(proxy.url, db, "--count", "2", "--json")
        assert proxy.held == 2
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    envelope = json.loads(proc.stdout.decode().splitlines()[-1])
    message = f"cannot reach ComfyUI at {proxy.url}: no answer to POST /prompt within 1 s"
    assert envelope["success"] is False and envelope["error"]["message"] == message
    assert [gen["status"] for gen in envelope["data"]] == ["failed", "failed"]
    assert unfinished(db) == [] and _rows(db) == 2
    (counts,) = assert_counters_exact(db).values()
    assert counts == {"generation_count": 2, "completed_count": 0, "failed_count": 2}
