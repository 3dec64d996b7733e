"""The floor under ``generate_overhead_ms``: importing what sftui needs before it can post.

Before the server has a prompt, ``sftui generate`` must have stored the pending row and
opened the WebSocket, so it has imported asyncio, httpx (with httpcore's anyio backend,
loaded by the first request), websockets, peewee and pydantic, and built a model. A
process that does only that, with the collector paused as ``generate`` does, shows how
much of the overhead no change inside sftui can remove while it keeps those libraries.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

_SCRIPT = r"""
import gc; gc.disable()
import time; started = time.perf_counter()
import asyncio, json, sqlite3
import httpx, httpcore._backends.anyio
import websockets.asyncio.client
import peewee
from pydantic import BaseModel
class Row(BaseModel):
    id: str
    seed: int | None = None
Row.model_validate({"id": "g", "seed": 1})
print((time.perf_counter() - started) * 1000)
"""


def measure(runs: int) -> dict[str, Any]:
    """Median ms of ``runs`` fresh interpreters: the imports alone, and the whole process."""
    imports: list[float] = []
    walls: list[float] = []
    for _ in range(runs + 1):  # the first warms the page cache and is not counted
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=True)
        wall = (time.perf_counter() - started) * 1000
        imports.append(float(done.stdout.strip()))
        walls.append(wall)
    return {"imports_ms": statistics.median(imports[1:]), "process_ms": statistics.median(walls[1:])}
