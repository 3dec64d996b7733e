"""The client and watcher against the simulated server (sftui.comfy.simulator)."""

from __future__ import annotations

import asyncio
import copy
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sftui.comfy import updates as up
from sftui.comfy.client import ComfyClient
from sftui.comfy.connection import BackoffPolicy
from sftui.comfy.tracker import ComfyWatcher
from sftui.errors import PromptRejected

simulator = pytest.importorskip("sftui.comfy.simulator")

FAST = BackoffPolicy(initial=0.02, cap=0.2)


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    server = simulator.Simulator(simulator.SimulatorConfig(step_delay=0.005, node_delay=0.002, history_delay=0.05))
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


@pytest.fixture
def ksampler(ref_json: Any) -> dict[str, Any]:
    prompt = copy.deepcopy(ref_json("workflow_ksampler_api.json"))
    prompt["1"]["inputs"]["ckpt_name"] = "v1-5-pruned-emaonly.safetensors"
    return prompt


async def _updates(handle: Any) -> list[up.PromptUpdate]:
    return await asyncio.wait_for(_drain(handle), 10)


async def _drain(handle: Any) -> list[up.PromptUpdate]:
    return [u async for u in handle.updates()]


async def test_ksampler_then_cached_resubmission(sim: Any, ksampler: dict[str, Any], tmp_path: Path) -> None:
    async with ComfyClient(sim.url) as client, ComfyWatcher(client, backoff=FAST) as w:
        first = await _updates(w.track((await client.queue_prompt(ksampler, extra_pnginfo={"workflow": {}})).prompt_id))
        again = await _updates(w.track((await client.queue_prompt(ksampler)).prompt_id))
        outcome = first[-1].outcome
        saved = await client.download_output(outcome.outputs[0], tmp_path / "out.png")
    assert outcome.status == "success" and not outcome.cached and outcome.execution_time_s is not None
    steps = ksampler["5"]["inputs"]["steps"]
    assert [p.value for p in first if isinstance(p, up.Progress)] == list(range(1, steps + 1))
    previews = [p for p in first if isinstance(p, up.Preview)]
    assert previews and all(p.node == "5" for p in previews)
    Image.open(io.BytesIO(previews[0].image_bytes)).verify()
    with Image.open(saved) as image:
        assert image.format == "PNG"
    cached = again[-1].outcome
    assert cached.status == "success" and cached.cached
    assert not [u for u in again if isinstance(u, up.Executing)]


async def test_rejection_error_and_interrupt(sim: Any, ref_json: Any, ksampler: dict[str, Any]) -> None:
    bad = copy.deepcopy(ref_json("workflow_model_free_api.json"))
    bad["1"]["inputs"]["width"] = 0
    slow = copy.deepcopy(ksampler)
    slow["5"]["inputs"]["steps"] = 200
    error_case = ref_json("execution_error_history.json")
    (_, entry), = error_case.items()
    async with ComfyClient(sim.url) as client, ComfyWatcher(client, backoff=FAST) as w:
        with pytest.raises(PromptRejected, match=r"node 1 \(EmptyImage\), input 'width'"):
            await client.queue_prompt(bad)
        failing = await client.queue_prompt(entry["prompt"][2])
        failed = await w.track(failing.prompt_id).outcome(timeout=10)
        handle = w.track((await client.queue_prompt(slow)).prompt_id)
        async for item in handle.updates():
            if isinstance(item, up.Progress) and item.value == 3:
                await client.interrupt(handle.prompt_id)
        interrupted = await handle.outcome(timeout=10)
    assert failed.status == "error" and failed.error is not None and failed.error.node_type == "ImageBatch"
    assert interrupted.status == "interrupted" and interrupted.outputs == []


async def test_server_restart_loses_the_prompt(ksampler: dict[str, Any]) -> None:
    slow = copy.deepcopy(ksampler)
    slow["5"]["inputs"]["steps"] = 500
    config = simulator.SimulatorConfig(step_delay=0.01, node_delay=0.002)
    first = simulator.Simulator(config)
    url = await first.start("127.0.0.1", 0)
    second = simulator.Simulator(config)
    try:
        async with ComfyClient(url) as client, ComfyWatcher(client, backoff=FAST) as w:
            handle = w.track((await client.queue_prompt(slow)).prompt_id)
            updates = handle.updates()
            while not isinstance(await asyncio.wait_for(anext(updates), 5), up.Progress):
                pass
            await first.stop()
            await second.start("127.0.0.1", first.port)
            outcome = await handle.outcome(timeout=10)
            assert w.state.status == "connected"
    finally:
        await second.stop()
    assert outcome.status == "lost"


async def test_the_socket_does_not_negotiate_compression(sim: Any) -> None:
    """Previews are JPEG: deflating them costs CPU on both ends for nothing."""
    from sftui.comfy.connection import open_socket

    client = ComfyClient(sim.url)
    ws = await asyncio.wait_for(open_socket(client), 10)
    try:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.protocol.extensions == []
    finally:
        await ws.close()
        await client.aclose()
