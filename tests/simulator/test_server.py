"""Server-level behaviour: restarts, the thread runner, catalogue, history race, failures, queue ops."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from sftui.comfy.simulator import Simulator, SimulatorConfig, SimulatorThread
from sftui.comfy.simulator.catalog import Catalog, _patch_models
from sftui.comfy.simulator.constants import MODEL_FILES
from tests.simulator.harness import Api, read_json, running, substitute
from tests.simulator.transcript import Recorder, seen, shape, text_frame

pytestmark = pytest.mark.timeout(30)


def model_free(reference_dir: Path, color: int = 3368652) -> dict[str, Any]:
    prompt = read_json(reference_dir / "workflow_model_free_api.json")
    prompt["1"]["inputs"]["color"] = color
    return prompt


async def test_restart_on_same_port_starts_with_empty_queue(reference_dir: Path) -> None:
    slow = SimulatorConfig(step_delay=0.005, node_delay=0.2)
    async with running(slow) as api:
        port = api.sim.port
        prompt = read_json(reference_dir / "workflow_slow_blur_api.json")
        for color in (1, 2):
            prompt["1"]["inputs"]["color"] = color
            await api.post_prompt({"prompt": prompt})
        assert len((await api.request("GET", "/queue"))[2]["queue_pending"]) == 1
    async with running(slow, port=port) as api:
        assert api.sim.port == port
        assert (await api.request("GET", "/queue"))[2] == {"queue_running": [], "queue_pending": []}
        assert (await api.request("GET", "/history"))[2] == {}
        assert (await api.request("GET", "/prompt"))[2] == {"exec_info": {"queue_remaining": 0}}


def test_thread_runner_serves_and_marks_itself(reference_dir: Path) -> None:
    with SimulatorThread(SimulatorConfig(step_delay=0.001, node_delay=0.0)) as runner:
        stats = httpx.get(runner.url + "/system_stats", timeout=5).json()
        response = httpx.post(runner.url + "/prompt", json={"prompt": model_free(reference_dir)}, timeout=5).json()
        url = runner.url
    captured = read_json(reference_dir / "system_stats.json")
    assert shape(stats["devices"]) == shape(captured["devices"])
    assert stats["system"]["comfyui_version"] == captured["system"]["comfyui_version"]
    assert stats["system"]["argv"][0] == "sftui-simulator" and "sftui_simulator" in stats["system"]
    assert response["node_errors"] == {}
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/queue", timeout=2)


async def test_catalogue_offers_the_simulated_models(api: Api, reference_dir: Path) -> None:
    info = (await api.request("GET", "/object_info"))[2]
    assert info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == MODEL_FILES["checkpoints"]
    assert info["LoraLoader"]["input"]["required"]["lora_name"][0] == MODEL_FILES["loras"]
    assert info["VAELoader"]["input"]["required"]["vae_name"][0] == [*MODEL_FILES["vae"], "pixel_space"]
    assert set(info) == set(read_json(reference_dir / "object_info.json"))
    for folder in ("checkpoints", "loras", "vae"):
        assert (await api.request("GET", f"/models/{folder}"))[2] == MODEL_FILES[folder]
    assert (await api.request("GET", "/models"))[2] == read_json(reference_dir / "models.json")
    assert (await api.request("GET", "/object_info/KSampler"))[2] == read_json(reference_dir / "object_info_KSampler.json")
    for name in ("features", "extensions", "embeddings"):
        assert (await api.request("GET", f"/{name}"))[2] == read_json(reference_dir / f"{name}.json")


def test_both_combo_spellings_are_filled() -> None:
    info = {
        "Old": {"input": {"required": {"ckpt_name": [[], {"tooltip": "t"}]}}},
        "New": {"input": {"optional": {"lora_name": ["COMBO", {"multiselect": False, "options": []}]}}},
    }
    _patch_models(info)
    assert info["Old"]["input"]["required"]["ckpt_name"] == [MODEL_FILES["checkpoints"], {"tooltip": "t"}]
    assert info["New"]["input"]["optional"]["lora_name"][1]["options"] == MODEL_FILES["loras"]
    assert Catalog().get("NoSuchNode") is None


async def test_history_race_with_history_delay(reference_dir: Path) -> None:
    async with running(SimulatorConfig(step_delay=0.001, node_delay=0.0, history_delay=0.3)) as api:
        recorder = await Recorder(api.session, api.url, "racer").open()
        prompt_id = (await api.post_prompt({"prompt": model_free(reference_dir), "client_id": "racer"}))["prompt_id"]
        await recorder.wait_for(seen("execution_success", prompt_id=prompt_id))
        assert await api.history(prompt_id) == {}
        frames = await recorder.wait_for(seen("executing", node=None, prompt_id=prompt_id))
        assert prompt_id in await api.history(prompt_id)
        await recorder.close()
    tail = [f["data"]["type"] for f in frames[-3:]]
    assert tail == ["execution_success", "status", "executing"]


async def test_failing_node_class_gives_execution_error(reference_dir: Path) -> None:
    async with running(SimulatorConfig(step_delay=0.001, node_delay=0.0, fail_class_types=frozenset({"ImageBlur"}))) as api:
        recorder = await Recorder(api.session, api.url, "failing").open()
        prompt_id = (await api.post_prompt({"prompt": model_free(reference_dir, 77), "client_id": "failing"}))["prompt_id"]
        frames = await recorder.wait_for(seen("executing", node=None, prompt_id=prompt_id))
        await recorder.close()
        entry = await api.wait_history(prompt_id)
    error = next(f["data"]["data"] for f in frames if text_frame(f, "execution_error"))
    captured = read_json(reference_dir / "execution_error_history.json")
    real = next(iter(captured.values()))
    real_error = real["status"]["messages"][-1][1]
    assert set(error) == set(real_error)
    assert (error["node_id"], error["node_type"], sorted(error["executed"])) == ("3", "ImageBlur", ["1", "2", "5"])
    assert error["current_inputs"]["image"][0].startswith("tensor([[[[") and error["current_inputs"]["blur_radius"] == [3]
    assert sorted(error["current_outputs"]) == ["1", "2", "3", "4", "5"]
    assert set(entry) == set(real) and entry["status"]["status_str"] == "error" and entry["status"]["completed"] is False
    assert list(entry["outputs"]) == ["5"] and list(entry["meta"]) == ["5"]


async def test_queue_and_history_operations(api: Api, reference_dir: Path) -> None:
    ids = []
    for color in (10, 11, 12):
        ids.append((await api.post_prompt({"prompt": model_free(reference_dir, color)}))["prompt_id"])
    for prompt_id in ids:
        await api.wait_history(prompt_id)
    assert list((await api.request("GET", "/history?max_items=2"))[2]) == ids[1:]
    assert (await api.request("POST", "/history", {"delete": [ids[0]]}))[:3:2] == (200, "")
    assert list((await api.request("GET", "/history"))[2]) == ids[1:]
    await api.request("POST", "/history", {"clear": True})
    assert (await api.request("GET", "/history"))[2] == {}
    assert (await api.request("GET", f"/history/{ids[0]}"))[2] == {}
    assert (await api.request("GET", "/api/queue"))[2] == {"queue_running": [], "queue_pending": []}
    # After /free nothing is cached: the same prompt runs again instead of replaying.
    assert (await api.request("POST", "/free", {"free_memory": True}))[0] == 200
    again = await api.wait_history((await api.post_prompt({"prompt": model_free(reference_dir, 12)}))["prompt_id"])
    assert again["status"]["messages"][1][1]["nodes"] == []


async def test_queue_clear_and_interrupt_of_other_prompt(reference_dir: Path) -> None:
    async with running(SimulatorConfig(step_delay=0.005, node_delay=0.05)) as api:
        prompt = read_json(reference_dir / "workflow_slow_blur_api.json")
        prompt["1"]["inputs"].update(width=64, height=64)
        ids = []
        for color in (1, 2, 3):
            prompt["1"]["inputs"]["color"] = color
            ids.append((await api.post_prompt({"prompt": prompt}))["prompt_id"])
        assert (await api.request("POST", "/interrupt", {"prompt_id": ids[2]}))[0] == 200
        assert (await api.request("POST", "/queue", {"clear": True}))[:3:2] == (200, "")
        first = await api.wait_history(ids[0])
        queue = (await api.request("GET", "/queue"))[2]
        await asyncio.sleep(0.1)
        assert await api.history(ids[1]) == {} and await api.history(ids[2]) == {}
    assert first["status"]["status_str"] == "success"
    assert queue == {"queue_running": [], "queue_pending": []}


async def test_upload_feeds_load_image(api: Api, reference_dir: Path) -> None:
    png = (reference_dir / "model_free_view_node4_output.png").read_bytes()
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("image", png, filename="mine.png", content_type="image/png")
    async with api.session.post(api.url + "/upload/image", data=form) as response:
        assert (response.status, await response.json()) == (200, {"name": "mine.png", "subfolder": "", "type": "input"})
    info = (await api.request("GET", "/object_info/LoadImage"))[2]
    assert info["LoadImage"]["input"]["required"]["image"][0] == ["example.png", "mine.png"]
    prompt = {"1": {"class_type": "LoadImage", "inputs": {"image": "mine.png"}}, "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
    entry = await api.wait_history((await api.post_prompt({"prompt": prompt}))["prompt_id"])
    assert entry["status"]["status_str"] == "success"
    bad = substitute(prompt, "mine.png", "nope.png")
    status, _, response = await api.request("POST", "/prompt", {"prompt": bad})
    assert status == 400 and response["node_errors"]["1"]["errors"][0]["details"] == "image - Invalid image file: nope.png"


async def test_stop_drops_sockets_like_a_dying_server() -> None:
    sim = Simulator(SimulatorConfig(step_delay=0.01, node_delay=0.2))
    await sim.start()
    import aiohttp

    async with aiohttp.ClientSession() as session:
        recorder = await Recorder(session, sim.url, "dying").open()
        await recorder.wait_for(lambda f: len(f) >= 1)
        await asyncio.wait_for(sim.stop(), 5)
        await asyncio.wait_for(recorder._reader, 5)  # type: ignore[arg-type]
        # A dying server sends no close frame.
        assert recorder.ws is not None and recorder.ws.closed and recorder.ws.close_code == 1006
