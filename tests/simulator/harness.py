"""Starting simulators and talking raw HTTP to them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
from sftui.comfy.simulator import Simulator, SimulatorConfig

# The captures used a tiny random checkpoint; the simulator offers the design's model names.
CAPTURED_CKPT = "tiny_sd15_random.safetensors"
SIM_CKPT = "v1-5-pruned-emaonly.safetensors"
FAST = SimulatorConfig(step_delay=0.005, node_delay=0.002)


def substitute(value: Any, old: str = CAPTURED_CKPT, new: str = SIM_CKPT) -> Any:
    if isinstance(value, dict):
        return {k: substitute(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, old, new) for v in value]
    return new if value == old else value


class Api:
    """Raw HTTP access to a running simulator."""

    def __init__(self, sim: Simulator, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.url = sim.url

    async def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, str | None, Any]:
        if isinstance(body, (dict, list)):
            kwargs["data"] = json.dumps(body)
        elif body is not None:
            kwargs["data"] = body
        async with self.session.request(method, self.url + path, **kwargs) as response:
            text = await response.text()
            content_type = response.headers.get("Content-Type")
            parsed: Any = json.loads(text) if content_type and content_type.startswith("application/json") else text
            return response.status, content_type, parsed

    async def post_prompt(self, body: dict[str, Any]) -> dict[str, Any]:
        status, _, response = await self.request("POST", "/prompt", substitute(body))
        assert status == 200, response
        return response

    async def history(self, prompt_id: str) -> dict[str, Any]:
        _, _, response = await self.request("GET", f"/history/{prompt_id}")
        return response

    async def wait_history(self, prompt_id: str, timeout: float = 10.0) -> dict[str, Any]:
        async def poll() -> dict[str, Any]:
            while True:
                found = await self.history(prompt_id)
                if found:
                    return found[prompt_id]
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(poll(), timeout)

    async def view(self, image: dict[str, str]) -> bytes:
        params = {"filename": image["filename"], "subfolder": image["subfolder"], "type": image["type"]}
        async with self.session.get(self.url + "/view", params=params) as response:
            assert response.status == 200
            return await response.read()


@asynccontextmanager
async def running(config: SimulatorConfig | None = None, port: int = 0) -> AsyncIterator[Api]:
    sim = Simulator(dataclasses.replace(config or FAST))
    await sim.start("127.0.0.1", port)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
            yield Api(sim, session)
    finally:
        await asyncio.wait_for(sim.stop(), 10)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
