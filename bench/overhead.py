"""Client overhead: a tool's end-to-end wall time minus the server's own execution time.

The server's time comes from its ``/history`` entry (``execution_start`` to
``execution_success`` timestamps, in ms), the same way for every tool, so the
comparison does not trust either client's own report. Each run gets a workflow file
with a fresh seed: ComfyUI would otherwise answer an identical prompt from its cache.

Bytecode. comfy-cli runs from site-packages, where pip compiled every module to
``__pycache__``; an installed sftui has its bytecode the same way. The repo's sftui is
an editable install, and where ``PYTHONDONTWRITEBYTECODE`` is set (as on the machine
these figures come from) it would compile every one of its modules from source on every
run, ~60 ms that no installed copy pays. So ``sftui_package`` lays out a copy of the
package as an install does (sources plus compiled ``__pycache__``) and the runs import
it through ``PYTHONPATH``; the copy's sources are the working tree's, so what is measured
is the code as it is. ``sftui_package(..., compiled=False)`` gives the same copy without
bytecode, run with ``PYTHONDONTWRITEBYTECODE=1``: the figure of a source checkout.

``measure_interleaved`` runs the tools in turns (A B, B A, ...), so a change of load
on a shared machine lands on every tool alike rather than on whichever ran last.
"""

from __future__ import annotations

import json
import os
import shutil
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


def sftui_package(dest: Path, *, compiled: bool = True) -> dict[str, str]:
    """Copy the repo's ``sftui`` package into ``dest`` (bytecode compiled unless told not to).

    Returns the environment that makes ``sftui`` run from the copy.
    """
    source = Path(__file__).resolve().parents[1] / "sftui"
    shutil.copytree(source, dest / "sftui", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if compiled:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest / "sftui")], check=True, capture_output=True, timeout=300)
    env = {"PYTHONPATH": str(dest)}
    if not compiled:
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # else the warm-up run would write the bytecode
    return env


def measure_interleaved(url: str, tools: dict[str, tuple[Command, dict[str, str]]], base: dict[str, Any], runs: int,
                        vary: tuple[str, str, int] = ("3", "seed", 2**50)) -> dict[str, dict[str, Any]]:
    """``measure`` for several tools (name -> (command, env)) taking turns, the order reversed every round."""
    names = list(tools)
    overheads: dict[str, list[float]] = {name: [] for name in names}
    walls: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="sftui-bench-overhead-") as tmp:
        folder = Path(tmp)
        seed = int(time.time() * 1000) % 10**9
        for index in range(runs + 1):  # round 0 warms every tool up and is not counted
            for name in names if index % 2 == 0 else names[::-1]:
                command, env = tools[name]
                seed += 1
                path = workflow_file(folder, base, seed, vary)
                started = time.perf_counter()
                # cwd: `python -m sftui` would put the working directory (the repo) ahead of PYTHONPATH.
                done = subprocess.run(command(path), capture_output=True, text=True, timeout=300, env={**os.environ, **env},
                                      stdin=subprocess.DEVNULL, cwd=folder)
                wall = time.perf_counter() - started
                if done.returncode != 0:
                    raise RuntimeError(f"{name} failed ({done.returncode}): {(done.stderr or done.stdout)[-500:]}")
                executed = server_seconds(url, _prompt_id(done.stdout))
                if index:
                    walls[name].append(wall * 1000)
                    overheads[name].append((wall - executed) * 1000)
    return {
        name: {"overhead_ms": statistics.median(overheads[name]), "wall_ms": statistics.median(walls[name]), "samples_ms": overheads[name]}
        for name in names
    }


def sftui_command(url: str, db: Path) -> Command:
    sftui = Path(sys.executable).with_name("sftui")
    prefix = [str(sftui)] if sftui.exists() else [sys.executable, "-m", "sftui"]
    return lambda path: [*prefix, "generate", "--server", url, "--db", str(db), "--workflow", str(path), "--session", "bench", "--json"]


def comfy_cli_command(comfy: Path, url: str) -> Command:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return lambda path: [str(comfy), "--skip-prompt", "run", "--workflow", str(path), "--wait", "--host", host, "--port", port]
