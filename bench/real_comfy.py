"""Optional (``--with-real-comfy``): both tools' overhead against a real ComfyUI.

Starts ComfyUI on a free loopback port (CPU mode), runs ``sftui generate`` and
``comfy run --wait`` on the model-free reference workflow (a colour input varies
per run so nothing is served from ComfyUI's cache), then stops it. Where ComfyUI
lives is set by the environment (defaults: this machine's layout):

- ``SFTUI_BENCH_COMFYUI_PYTHON`` (``/work/comfy-venv/bin/python``)
- ``SFTUI_BENCH_COMFYUI_MAIN`` (``/work/comfyui/main.py``)
- ``SFTUI_BENCH_MODEL_FREE_WORKFLOW`` (``../shared/comfyui-reference/workflow_model_free_api.json``)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _settings() -> tuple[Path, Path, Path]:
    python = Path(os.environ.get("SFTUI_BENCH_COMFYUI_PYTHON", "/work/comfy-venv/bin/python"))
    main = Path(os.environ.get("SFTUI_BENCH_COMFYUI_MAIN", "/work/comfyui/main.py"))
    workflow = Path(os.environ.get("SFTUI_BENCH_MODEL_FREE_WORKFLOW", REPO.parent / "shared" / "comfyui-reference" / "workflow_model_free_api.json"))
    for path in (python, main, workflow):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found (see bench/real_comfy.py for the variables that locate ComfyUI)")
    return python, main, workflow


def measure_real(runs: int, comfy: Path | None, log: Callable[[str], None]) -> dict[str, Any]:
    from bench import overhead

    python, main, workflow_path = _settings()
    base = json.loads(workflow_path.read_text())
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"workflow": workflow_path.name}
    with tempfile.TemporaryDirectory(prefix="sftui-bench-real-") as tmp:
        command = [str(python), str(main), "--cpu", "--listen", "127.0.0.1", "--port", str(port), "--disable-auto-launch",
                   "--output-directory", str(Path(tmp) / "out"), "--preview-method", "latent2rgb"]
        with open(Path(tmp) / "comfyui.log", "w") as server_log:
            server = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT, cwd=main.parent)
            try:
                _wait_up(url, server)
                out["comfyui_version"] = httpx.get(f"{url}/system_stats", timeout=10).json()["system"].get("comfyui_version")
                vary = ("1", "color", 0xFFFFFF)
                log("real ComfyUI: sftui generate …")
                from bench.run import isolated_env

                env = isolated_env(Path(tmp))
                ours = overhead.measure("sftui-real", url, overhead.sftui_command(url, Path(tmp) / "sftui.db"), base, runs, env=env, vary=vary)
                out["generate_overhead_ms"] = ours["overhead_ms"]
                out["generate_wall_ms"] = ours["wall_ms"]
                if comfy is not None:
                    log("real ComfyUI: comfy run …")
                    theirs = overhead.measure("comfy-real", url, overhead.comfy_cli_command(comfy, url), base, runs, env={**env, "HOME": tmp}, vary=vary)
                    out["comfy_cli_overhead_ms"] = theirs["overhead_ms"]
                    out["comfy_cli_wall_ms"] = theirs["wall_ms"]
                    out["generate_overhead_vs_comfy_cli"] = ours["overhead_ms"] / theirs["overhead_ms"]
            finally:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)
    return out


def _wait_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"ComfyUI exited with {server.returncode} while starting")
        try:
            if httpx.get(f"{url}/system_stats", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"ComfyUI did not answer within {START_TIMEOUT}s")
