"""Headless commands never load Textual (the import-linter contract checks the code; this checks a run)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("argv", [["locate"], ["sessions", "list"], ["--help"], ["generate", "--help"]])
def test_headless_commands_do_not_load_textual(argv, tmp_path):
    code = (
        "import sys\n"
        "from sftui.cli import run\n"
        f"try:\n    run({argv!r} + (['--db', {str(tmp_path / 'x.db')!r}] if {argv!r}[0] in ('locate', 'sessions') else []))\n"
        "except SystemExit:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_image') or m.startswith('sftui.ui'))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stdout.decode()[-500:] + proc.stderr.decode()[-500:]
