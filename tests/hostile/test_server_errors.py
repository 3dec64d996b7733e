"""Plain-text and HTML error answers (ComfyUI's 500s, a proxy's 502) become one clear, inert line."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from aiohttp import web

from tests.conftest import run_cli
from tests.hostile.fake_comfy import FakeComfy

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What aiohttp (and so ComfyUI) answers when a handler raises, e.g. on a body that is not JSON.
AIOHTTP_500 = "500 Internal Server Error\n\nServer got itself in trouble"
NGINX_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"


def _answer(status: int, text: str, content_type: str = "text/plain"):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=text, content_type=content_type)

    return handler


def _one_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    # One line, so no Python traceback (the server's own text may quote one).
    assert len(lines) == 1, text
    assert not RAW.search(lines[0])
    return lines[0]


def test_a_500_with_a_plain_text_body_fails_the_generation_clearly(fake: FakeComfy, tmp_path: Path) -> None:
    fake.overrides["/prompt"] = _answer(500, AIOHTTP_500)
    db = tmp_path / "x.db"
    proc = run_cli("generate", "--server", fake.url, "--prompt", "x", "--db", str(db))
    assert proc.returncode == 1 and proc.stdout == b""
    line = _one_line(proc.stderr)
    assert line.startswith("failed ") and line.endswith(f"ComfyUI at {fake.url} answered POST /prompt with HTTP 500 Internal Server Error: Server got itself in trouble")
    con = sqlite3.connect(db)
    status, error = con.execute("SELECT status, error FROM comfyui_generations").fetchone()
    con.close()
    assert status == "failed" and "HTTP 500 Internal Server Error: Server got itself in trouble" in error

    proc = run_cli("generate", "--server", fake.url, "--prompt", "x", "--db", str(db), "--json")
    final = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 1 and final["success"] is False
    assert final["error"]["code"] == "generation_failed" and "Server got itself in trouble" in final["error"]["message"]


def test_a_500_with_escapes_and_several_lines_is_one_inert_line(fake: FakeComfy) -> None:
    fake.overrides["/object_info"] = _answer(500, "Traceback (most recent call last):\n  File \x1b[31m\"x.py\"\x1b[0m\nKeyError: \u202e'gpu'\x07")
    proc = run_cli("options", "--server", fake.url)
    assert proc.returncode == 1
    line = _one_line(proc.stderr)
    assert line.startswith(f"sftui: error: ComfyUI at {fake.url} answered GET /object_info with HTTP 500 Internal Server Error: Traceback")
    assert "\\x1b[31m" in line and "\\u202e" in line and "\\x07" in line


def test_a_proxy_502_page_is_summarised(fake: FakeComfy, tmp_path: Path) -> None:
    fake.overrides["/object_info"] = _answer(502, NGINX_502, "text/html")
    proc = run_cli("generate", "--server", fake.url, "--prompt", "x", "--db", str(tmp_path / "p.db"))
    assert proc.returncode == 1
    line = _one_line(proc.stderr)
    assert line.startswith(f"sftui: error: ComfyUI at {fake.url} answered GET /object_info with HTTP 502 Bad Gateway: <html>")
    assert len(line) < 300 and not fake.requests("/prompt")


def test_a_non_json_success_is_named_as_such(fake: FakeComfy) -> None:
    fake.overrides["/object_info"] = _answer(200, "<html>Please log in</html>", "text/html")
    proc = run_cli("options", "--server", fake.url, "--json")
    assert proc.returncode == 1 and proc.stderr == b""
    envelope = json.loads(proc.stdout)
    assert envelope["error"]["code"] == "server_error"
    assert envelope["error"]["message"] == f"ComfyUI at {fake.url} answered GET /object_info (HTTP 200) with something that is not JSON: <html>Please log in</html>"


def test_a_malformed_history_entry_is_a_logged_server_error_not_a_hang(fake: FakeComfy, tmp_path: Path, log_file: Path) -> None:
    """It used to escape as a pydantic ValidationError from a watcher task, and generate waited forever."""

    async def malformed(request: web.Request) -> web.Response:
        prompt_id = request.path.rsplit("/", 1)[1]
        return web.json_response({prompt_id: {"status": {"status_str": 5, "completed": True, "messages": []}, "outputs": {}}})

    fake.overrides["/history/"] = malformed
    proc = run_cli("generate", "--server", fake.url, "--prompt", "x", "--db", str(tmp_path / "m.db"), timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()  # the frames told the outcome
    log = log_file.read_text(encoding="utf-8")
    assert "with a malformed entry (status_str: Input should be a valid string)" in log
    assert "Traceback" not in log and "watcher task failed" not in log


async def test_a_prompt_whose_history_stays_unreadable_fails_instead_of_running_forever(fake: FakeComfy) -> None:
    """Quiet prompts are reconciled from /history; an answer that never parses must end the prompt."""
    from sftui.comfy.client import ComfyClient
    from sftui.comfy.tracker import MAX_UNREADABLE, ComfyWatcher

    async def accept_but_never_run(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"prompt_id": body["prompt_id"], "number": 0, "node_errors": {}})

    async def malformed(request: web.Request) -> web.Response:
        prompt_id = request.path.rsplit("/", 1)[1]
        return web.json_response({prompt_id: {"status": {"status_str": 5, "completed": True, "messages": []}, "outputs": {}}})

    fake.overrides["/prompt"] = accept_but_never_run
    fake.overrides["/history/"] = malformed
    async with ComfyClient(fake.url) as client:
        async with ComfyWatcher(client, poll_interval=0.1) as watcher:
            queued = await client.queue_prompt({"1": {"class_type": "SaveImage", "inputs": {}}}, prompt_id="p-unreadable")
            outcome = await watcher.track(queued.prompt_id).outcome(timeout=10)
    assert outcome.status == "error"
    assert "unreadable" in outcome.error.exception_message
    assert len(fake.requests("/history/p-unreadable")) >= MAX_UNREADABLE
