"""The rotating log in the data dir: where `sftui locate` says, no prompts unless asked for,
and nothing in it a terminal would execute."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import run_cli
from tests.hostile.fake_comfy import FakeComfy

RAW = re.compile(b"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def _locate_log() -> Path:
    proc = run_cli("locate", "--json")
    assert proc.returncode == 0
    return Path(json.loads(proc.stdout)["data"]["log"])


@pytest.mark.parametrize("debug", [False, True], ids=["info", "debug"])
def test_prompts_stay_out_of_the_log_by_default(simulator, tmp_path: Path, debug: bool) -> None:
    marker, negative = f"MARKER-{uuid.uuid4().hex}", f"NEGMARK-{uuid.uuid4().hex}"
    env = {"SFTUI_DEBUG": "1"} if debug else {}
    proc = run_cli("generate", "--server", simulator.url, "--prompt", marker, "--negative", negative, "--steps", "1", "--db", str(tmp_path / "l.db"), env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    data = _locate_log().read_bytes()
    assert b"queued prompt" in data  # the log is the one `locate` names, and it was written
    assert marker.encode() not in data and negative.encode() not in data
    assert b"MARKER-" not in data and b"NEGMARK-" not in data


def test_log_prompts_true_puts_them_in(simulator, tmp_path: Path, config_file: Path) -> None:
    config_file.write_text("log_prompts = true\n", encoding="utf-8")
    marker = f"MARKER-{uuid.uuid4().hex}"
    proc = run_cli("generate", "--server", simulator.url, "--prompt", marker, "--steps", "1", "--db", str(tmp_path / "l.db"))
    assert proc.returncode == 0, proc.stderr.decode()
    log = _locate_log().read_text(encoding="utf-8")
    (line,) = [line for line in log.splitlines() if marker in line]
    assert " INFO sftui.comfy.client: prompt " in line and " as sent: " in line


def test_server_text_in_the_log_is_inert(fake: FakeComfy, tmp_path: Path) -> None:
    """Error bodies and names a server sends are quoted in the log with their escapes neutralised."""

    async def history_error(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom \x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2J \u202eevil \x9b31m")

    # History fails, so the outcome comes from the frames; the failure is logged with the body.
    fake.overrides["/history/"] = history_error
    fake.outputs = [{"filename": "\x1b[31mred\u202e.png", "subfolder": "", "type": "output"}]
    proc = run_cli("generate", "--server", fake.url, "--prompt", "x", "--db", str(tmp_path / "e.db"), env={"SFTUI_DEBUG": "1"})
    assert proc.returncode == 0, proc.stderr.decode()
    data = _locate_log().read_bytes()
    assert b"could not read the history of prompt" in data and b"boom \\x1b]52;c;" in data
    assert not RAW.search(data), RAW.search(data)
