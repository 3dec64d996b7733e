from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = (REPO_ROOT / ".." / "shared" / "comfyui-reference").resolve()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The captures from a real ComfyUI server (tests only; the product never reads them)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference captures not found at {REFERENCE_DIR}")
    return REFERENCE_DIR


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Keep every test away from the user's real config, data and cache."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("SFTUI_DB", raising=False)
    monkeypatch.delenv("SFTUI_SERVER", raising=False)


@pytest.fixture
def simulator(tmp_path):
    """A simulated ComfyUI on 127.0.0.1 (fast steps), for end-to-end tests."""
    from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

    sim = SimulatorThread(SimulatorConfig(step_delay=0.005, node_delay=0.001, output_dir=tmp_path / "sim-out"))
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def run_cli(*args: str, env: dict | None = None, stdin: bytes | None = None, timeout: float = 60):
    """Run the real `sftui` entry point in a subprocess, as a user would."""
    import os
    import subprocess
    import sys

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sftui", *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=timeout,
    )
