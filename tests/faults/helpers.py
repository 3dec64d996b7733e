"""Shared pieces of the fault tests: ports, waits, database checks, requests."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from sftui.comfy.connection import BackoffPolicy
from sftui.generation.service import GenerateRequest

FAST = BackoffPolicy(initial=0.05, cap=0.4)
CHECKPOINT = "v1-5-pruned-emaonly.safetensors"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(count: int = 1, *, steps: int = 4, seed: int = 1, session: str = "faults", **extra: Any) -> GenerateRequest:
    params = {"seed": seed, "steps": steps, "width": 64, "height": 64, **extra.pop("parameters", {})}
    return GenerateRequest(prompt_text="a lighthouse", parameters=params, session=session, count=count, **extra)


def failing_graph() -> dict:
    """The default graph with an ImageInvert before SaveImage (simulators fail it on request)."""
    from sftui.workflows.defaults import default_workflow

    graph = default_workflow()
    save = next(node_id for node_id, node in graph.items() if node["class_type"] == "SaveImage")
    graph["90"] = {"class_type": "ImageInvert", "inputs": {"image": graph[save]["inputs"]["images"]}}
    graph[save]["inputs"]["images"] = ["90", 0]
    return graph


async def until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(predicate) if not asyncio.iscoroutinefunction(predicate) else await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.02)


def wait_sync(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, timeout=10)
    con.row_factory = sqlite3.Row
    return con


def status_of(db: Path, generation_id: str) -> str | None:
    with connect(db) as con:
        row = con.execute("SELECT status FROM comfyui_generations WHERE id = ?", (generation_id,)).fetchone()
    return None if row is None else row["status"]


def assert_counters_exact(db: Path) -> dict[str, dict[str, int]]:
    """Every session's counters equal the counts recomputed from its rows; returns them."""
    out = {}
    with connect(db) as con:
        for session in con.execute("SELECT * FROM comfyui_sessions"):
            counted = {
                "generation_count": con.execute("SELECT COUNT(*) FROM comfyui_generations WHERE session_id = ?", (session["id"],)).fetchone()[0],
                "completed_count": con.execute("SELECT COUNT(*) FROM comfyui_generations WHERE session_id = ? AND status = 'completed'", (session["id"],)).fetchone()[0],
                "failed_count": con.execute("SELECT COUNT(*) FROM comfyui_generations WHERE session_id = ? AND status = 'failed'", (session["id"],)).fetchone()[0],
            }
            stored = {key: session[key] for key in counted}
            assert stored == counted, f"session {session['id']}: stored {stored} != counted {counted}"
            out[session["id"]] = counted
    return out


def assert_integrity(db: Path) -> None:
    with connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []


def unfinished(db: Path) -> list[str]:
    with connect(db) as con:
        return [r[0] for r in con.execute("SELECT id FROM comfyui_generations WHERE status IN ('pending', 'running')")]


def assert_outputs_present(db: Path) -> int:
    """Every completed generation's files exist (and are PNGs); returns how many files."""
    files = 0
    with connect(db) as con:
        for row in con.execute("SELECT id, output_files FROM comfyui_generations WHERE status = 'completed'"):
            items = json.loads(row["output_files"])
            assert items, f"completed generation {row['id']} lists no files"
            for item in items:
                path = db.parent / item["path"]
                assert path.is_file(), f"{row['id']}: {path} is missing"
                files += 1
    outputs = db.parent / "outputs"
    if outputs.exists():
        assert not list(outputs.rglob("*.part"))
    return files


def posts_by_generation(sim: Any) -> dict[str, int]:
    """How often a simulator received (and ran or holds) each sftui generation."""
    counts: dict[str, int] = {}
    items = [entry["prompt"] for entry in sim.queue.history.values()] + list(sim.queue.queue) + list(sim.queue.running.values())
    for item in items:
        gid = (item[3].get("extra_pnginfo") or {}).get("sftui", {}).get("generation_id")
        if gid:
            counts[gid] = counts.get(gid, 0) + 1
    return counts


class CliProcess:
    """``sftui …`` in a subprocess whose JSON lines can be awaited one by one (bounded)."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        import os
        import queue
        import subprocess
        import sys
        import threading

        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sftui", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace"))
        self.lines.put(None)

    def wait_for_event(self, name: str, timeout: float = 15.0) -> dict:
        import queue

        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name} event within {timeout:g} s; seen {self.seen}") from None
            if line is None:
                raise AssertionError(f"sftui exited before {name}: {self.stderr()}")
            self.seen.append(line)
            data = json.loads(line)
            if data.get("event") == name:
                return data

    def kill(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def finish(self, timeout: float = 60.0) -> tuple[int, list[str], str]:
        import queue

        code = self.proc.wait(timeout)
        self._reader.join(5)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.seen.append(line)
        return code, self.seen, self.stderr()

    def stderr(self) -> str:
        if not hasattr(self, "_stderr"):
            if self.proc.poll() is None:
                return ""
            assert self.proc.stderr is not None
            self._stderr = self.proc.stderr.read().decode("utf-8", "replace")
        return self._stderr
