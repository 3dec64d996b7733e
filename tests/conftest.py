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
