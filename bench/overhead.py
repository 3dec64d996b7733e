"""Client overhead: a tool's end-to-end wall time minus the server's own execution time.

The server's time comes from its ``/history`` entry (``execution_start`` to
``execution_success`` timestamps, in ms), the same way for every tool, so the
comparison does not trust either client's own report. Each run gets a workflow file
with a fresh seed: ComfyUI would otherwise answer an identical prompt from its cache.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx

Command = Callable[[Path], list[str]]


def server_seconds(url: str, prompt_id: str) -> float:
    """Execution time the server recorded for ``prompt_id`` (waits briefly for the history entry)."""
    deadline = time.monotonic() + 10
    while True:
        entry = httpx.get(f"{url}/history/{prompt_id}", timeout=10).json().get(prompt_id)
        if entry:
            stamps = {name: data.get("timestamp") for name, data in entry["status"]["messages"]}
            return (stamps["execution_success"] - stamps["execution_start"]) / 1000
        if time.monotonic() > deadline:
            raise RuntimeError(f"no history for prompt {prompt_id}")
        time.sleep(0.05)


def workflow_file(folder: Path, base: dict[str, Any], seed: int, vary: tuple[str, str, int] = ("3", "seed", 2**50)) -> Path:
    """``base`` with input ``vary = (node, input, modulus)`` set to ``seed % modulus``."""
    prompt = json.loads(json.dumps(base))
    node, name, modulus = vary
    prompt[node]["inputs"][name] = seed % modulus
    path = folder / f"workflow-{seed}.json"
    path.write_text(json.dumps(prompt))
    return path


def _prompt_id(stdout: str) -> str:
    """The prompt id from either tool's final JSON line."""
    data = json.loads(stdout.strip().splitlines()[-1])
    body = data.get("data")
    if isinstance(body, list):
        body = body[0]
    if isinstance(body, dict) and isinstance(body.get("generations"), list):
        body = body["generations"][0]
    if not isinstance(body, dict) or not body.get("prompt_id"):
        raise RuntimeError(f"no prompt_id in the tool's output: {stdout[-300:]!r}")
    return body["prompt_id"]


def measure(name: str, url: str, command: Command, base: dict[str, Any], runs: int, env: dict[str, str] | None = None,
            vary: tuple[str, str, int] = ("3", "seed", 2**50)) -> dict[str, Any]:
    """Median overhead in ms of ``runs`` runs (after one warm-up run that is not counted)."""
    overheads: list[float] = []
    walls: list[float] = []
    with tempfile.TemporaryDirectory(prefix=f"sftui-bench-{name}-") as tmp:
        folder = Path(tmp)
        seed0 = int(time.time() * 1000) % 10**9  # runs take over a second: two tools never share a seed
        for index in range(runs + 1):
            path = workflow_file(folder, base, seed0 + index, vary)
            started = time.perf_counter()
            done = subprocess.run(command(path), capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
            wall = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"{name} failed ({done.returncode}): {(done.stderr or done.stdout)[-500:]}")
            executed = server_seconds(url, _prompt_id(done.stdout))
            if index:
                walls.append(wall * 1000)
                overheads.append((wall - executed) * 1000)
    return {"overhead_ms": statistics.median(overheads), "wall_ms": statistics.median(walls), "samples_ms": overheads}


def sftui_command(url: str, db: Path) -> Command:
    sftui = Path(sys.executable).with_name("sftui")
    prefix = [str(sftui)] if sftui.exists() else [sys.executable, "-m", "sftui"]
    return lambda path: [*prefix, "generate", "--server", url, "--db", str(db), "--workflow", str(path), "--session", "bench", "--json"]


def comfy_cli_command(comfy: Path, url: str) -> Command:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return lambda path: [str(comfy), "--skip-prompt", "run", "--workflow", str(path), "--wait", "--host", host, "--port", port]
