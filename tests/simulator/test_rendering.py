"""Saved pictures: deterministic bytes, ComfyUI's tEXt chunks, names and sizes."""

from __future__ import annotations

import asyncio
import io
import json
import re
import struct
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from sftui.comfy.simulator import SimulatorConfig, render
from sftui.comfy.simulator.nodes.sampling import PREVIEW_LEVELS
from tests.simulator.harness import Api, read_json, running, substitute

pytestmark = pytest.mark.timeout(30)

EXTRA = {"extra_data": {"extra_pnginfo": {"workflow": {"nodes": [], "links": [], "version": 0.4}, "sftui": {"generation_id": "g-1", "seed": 7}}}}


def ksampler_prompt(reference_dir: Path, **changes: Any) -> dict[str, Any]:
    prompt = substitute(read_json(reference_dir / "workflow_ksampler_api.json"))
    prompt["5"]["inputs"].update(changes)
    return prompt


async def run_and_fetch(api: Api, prompt: dict[str, Any], node: str = "7", **body: Any) -> tuple[dict[str, Any], list[bytes]]:
    response = await api.post_prompt({"prompt": prompt, "client_id": "tester", **body})
    entry = await api.wait_history(response["prompt_id"])
    images = entry["outputs"][node]["images"]
    return entry, [await api.view(image) for image in images]


def text_chunks(png: bytes) -> list[tuple[str, str]]:
    """The tEXt chunks in file order."""
    chunks, offset = [], 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        if kind == b"tEXt":
            key, _, value = png[offset + 8 : offset + 8 + length].partition(b"\0")
            chunks.append((key.decode("latin-1"), value.decode("latin-1")))
        offset += 12 + length
    return chunks


async def test_same_prompt_gives_identical_png_in_fresh_simulators(reference_dir: Path) -> None:
    prompt = ksampler_prompt(reference_dir, seed=1234)
    pictures = []
    for _ in range(2):
        async with running() as api:
            _, files = await run_and_fetch(api, prompt, **EXTRA)
            pictures.append(files[0])
    assert pictures[0] == pictures[1]
    async with running() as api:
        _, other_seed = await run_and_fetch(api, ksampler_prompt(reference_dir, seed=1235), **EXTRA)
        _, other_text = await run_and_fetch(api, {**prompt, "2": {**prompt["2"], "inputs": {**prompt["2"]["inputs"], "text": "a dog"}}}, **EXTRA)
    assert other_seed[0] != pictures[0]
    assert Image.open(io.BytesIO(other_text[0])).tobytes() != Image.open(io.BytesIO(pictures[0])).tobytes()


async def test_png_carries_prompt_then_extra_pnginfo_chunks(api: Api, reference_dir: Path) -> None:
    prompt = ksampler_prompt(reference_dir)
    _, files = await run_and_fetch(api, prompt, **EXTRA)
    chunks = text_chunks(files[0])
    assert [key for key, _ in chunks] == ["prompt", "workflow", "sftui"]
    image = Image.open(io.BytesIO(files[0]))
    assert json.loads(image.text["prompt"]) == prompt
    assert json.loads(image.text["sftui"]) == EXTRA["extra_data"]["extra_pnginfo"]["sftui"]
    assert image.size == (64, 64) and image.mode == "RGB"
    _, bare = await run_and_fetch(api, ksampler_prompt(reference_dir, seed=5))
    assert [key for key, _ in text_chunks(bare[0])] == ["prompt"]


async def test_batch_sizes_and_counters(api: Api, reference_dir: Path) -> None:
    prompt = ksampler_prompt(reference_dir, seed=9)
    prompt["4"]["inputs"].update(width=96, height=72, batch_size=2)
    prompt["7"]["inputs"]["filename_prefix"] = "runs/day1/shot"
    entry, files = await run_and_fetch(api, prompt)
    prompt["5"]["inputs"]["seed"] = 10
    second, _ = await run_and_fetch(api, prompt)
    names = [(i["subfolder"], i["filename"]) for e in (entry, second) for i in e["outputs"]["7"]["images"]]
    assert names == [("runs/day1", f"shot_{n:05}_.png") for n in range(1, 5)]
    assert [Image.open(io.BytesIO(f)).size for f in files] == [(96, 72), (96, 72)]
    assert files[0] != files[1]
    assert (api.sim.output_dir / "runs" / "day1" / "shot_00004_.png").is_file()


async def test_prefix_escaping_the_output_folder_fails_the_node(api: Api, reference_dir: Path) -> None:
    prompt = ksampler_prompt(reference_dir)
    prompt["7"]["inputs"]["filename_prefix"] = "../outside"
    response = await api.post_prompt({"prompt": prompt})
    entry = await api.wait_history(response["prompt_id"])
    error = entry["status"]["messages"][-1]
    assert error[0] == "execution_error" and error[1]["node_id"] == "7"
    assert "outside the output folder" in error[1]["exception_message"]


async def test_model_free_pixels_match_the_real_server(api: Api, reference_dir: Path) -> None:
    request = read_json(reference_dir / "model_free_post_prompt.json")["request"]
    entry, saved = await run_and_fetch(api, request["prompt"], node="4", extra_data=request["extra_data"])
    preview = await api.view(entry["outputs"]["5"]["images"][0])
    async with api.session.get(api.url + read_json(reference_dir / "model_free_view.json")["4"]["url"]) as response:
        assert (response.status, response.content_type) == (200, "image/png")
    real_saved = Image.open(reference_dir / "model_free_view_node4_output.png").convert("RGB")
    real_preview = Image.open(reference_dir / "model_free_view_node5_temp.png").convert("RGB")
    for ours, theirs in ((saved[0], real_saved), (preview, real_preview)):
        mine = Image.open(io.BytesIO(ours)).convert("RGB")
        assert mine.size == theirs.size
        assert all(abs(a - b) <= 1 for a, b in zip(mine.getpixel((32, 32)), theirs.getpixel((32, 32))))
    assert re.fullmatch(r"ComfyUI_temp_[a-z]{5}_00001_\.png", entry["outputs"]["5"]["images"][0]["filename"])
    assert entry["outputs"]["4"]["images"][0]["filename"] == "ref_model_free_00001_.png"


def test_large_pictures_render_quickly() -> None:
    # CPU time of this process, so a busy machine does not make it flaky.
    started = time.process_time()
    picture = render.render("speed", 1024, 1024)
    png = render.png_bytes(picture, {"1": {}}, {"workflow": {}}, 4)
    assert time.process_time() - started < 0.8
    assert Image.open(io.BytesIO(png)).size == (1024, 1024)


async def test_template_workflows_run_through_unmodelled_nodes(reference_dir: Path) -> None:
    examples = reference_dir / "conversion-examples"
    async with running(SimulatorConfig(step_delay=0.001, node_delay=0.0)) as api:
        sdxl = read_json(examples / "image_sdxl_simple.api.json")
        sdxl["12"]["inputs"]["steps"] = 3
        entry, files = await run_and_fetch(api, sdxl)
        masks = await api.post_prompt({"prompt": read_json(examples / "basic_mask_operations_and_compositing.api.json"), "client_id": "t"})
        mask_entry = await api.wait_history(masks["prompt_id"])
    assert Image.open(io.BytesIO(files[0])).size == (1024, 1024)
    assert entry["status"]["status_str"] == "success"
    assert mask_entry["status"]["status_str"] == "success"
    assert len(mask_entry["outputs"]) == len(mask_entry["prompt"][4])


async def _previews_of_run(api: Api, prompt: dict[str, Any]) -> list[bytes]:
    """The preview images (JPEG bytes) sent while ``prompt`` ran."""
    ws = await api.session.ws_connect(api.url.replace("http", "ws", 1) + "/ws?clientId=previews")
    try:
        prompt_id = (await api.post_prompt({"prompt": prompt, "client_id": "previews"}))["prompt_id"]
        previews: list[bytes] = []
        async with asyncio.timeout(20):
            async for message in ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    previews.append(message.data[8:])
                elif message.type == aiohttp.WSMsgType.TEXT:
                    data = json.loads(message.data)
                    if data["type"] == "executing" and data["data"]["node"] is None and data["data"]["prompt_id"] == prompt_id:
                        return previews
        raise AssertionError("the socket closed before the run ended")
    finally:
        await ws.close()


async def test_each_step_previews_and_long_runs_encode_each_level_once(reference_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[float] = []
    original = render.preview_frame

    def counting(final: Image.Image, start: Image.Image, fraction: float) -> bytes:
        encoded.append(fraction)
        return original(final, start, fraction)

    monkeypatch.setattr(render, "preview_frame", counting)
    async with running(SimulatorConfig(step_delay=0.0, node_delay=0.0)) as api:
        short = await _previews_of_run(api, ksampler_prompt(reference_dir, steps=20))
        assert len(encoded) == 20
        long = await _previews_of_run(api, ksampler_prompt(reference_dir, steps=PREVIEW_LEVELS * 4, seed=99))
    # A usual run: one preview per step, each a new picture, all real JPEGs.
    assert len(short) == 20 and len(set(short)) == 20
    assert all(Image.open(io.BytesIO(frame)).format == "JPEG" for frame in short)
    # A long one still sends one per step, but encodes each level once, in order, up to the result.
    assert len(long) == PREVIEW_LEVELS * 4
    assert encoded[20:] == [level / PREVIEW_LEVELS for level in range(1, PREVIEW_LEVELS + 1)]
    assert long[:4].count(long[0]) == 4 and long[4] != long[0]
