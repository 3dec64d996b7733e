"""The TUI raises Textual's frame cap (changes are drawn as they happen); TEXTUAL_FPS still wins."""

from __future__ import annotations

import os
import subprocess
import sys

from sftui.ui import FRAMES_PER_SECOND

PROBE = "import sftui.ui.app, textual.screen as s; print(round(1 / s.UPDATE_PERIOD))"


def frame_rate(**env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, env={**clean, **env}, check=True)
    return int(done.stdout.strip())


def test_the_app_draws_at_its_own_cap_unless_the_environment_says_otherwise() -> None:
    assert FRAMES_PER_SECOND > 60
    assert frame_rate() == FRAMES_PER_SECOND
    assert frame_rate(TEXTUAL_FPS="30") == 30
