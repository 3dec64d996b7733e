"""How many ``progress`` frames a second the simulator sends at a step delay, to a bare client.

Used to calibrate the stream measure to ~200 events a second (each simulated step also
sends progress_state and a preview, and now and then encodes a new preview JPEG, which
together cost about a millisecond on top of the delay).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import websockets

from bench.sim_server import SimServer


async def _count(url: str, seconds: float) -> float:
    from sftui.workflows.defaults import default_workflow

    client_id = str(uuid.uuid4())
    steps = int(seconds * 400) + 50
    async with websockets.connect(url.replace("http://", "ws://") + f"/ws?clientId={client_id}", max_size=None) as ws:
        prompt = default_workflow()
        prompt["3"]["inputs"].update(steps=steps, seed=int(time.time() * 1000) % 2**40)
        prompt["5"]["inputs"].update(width=512, height=512)
        async with httpx.AsyncClient(timeout=10) as http:
            (await http.post(f"{url}/prompt", json={"prompt": prompt, "client_id": client_id})).raise_for_status()
            arrivals: list[float] = []
            deadline = time.perf_counter() + seconds + 20
            while time.perf_counter() < deadline:
                message = await asyncio.wait_for(ws.recv(), timeout=20)
                if isinstance(message, str) and '"progress"' in message and json.loads(message)["type"] == "progress":
                    arrivals.append(time.perf_counter())
                    if arrivals[-1] - arrivals[0] >= seconds:
                        break
            await http.post(f"{url}/interrupt", json={})
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def frames_per_second(step_delay: float, seconds: float = 2.5) -> float:
    with SimServer(step_delay=step_delay) as sim:
        return asyncio.run(_count(sim.url, seconds))
