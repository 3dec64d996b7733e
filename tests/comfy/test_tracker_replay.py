"""ComfyClient + ComfyWatcher driven by captured transcripts of a real server."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from sftui.comfy import updates as up
from sftui.comfy.client import ComfyClient
from sftui.comfy.connection import BackoffPolicy
from sftui.comfy.models import OutputRef
from sftui.comfy.prompt_state import PromptHandle
from sftui.comfy.tracker import ComfyWatcher
from tests.comfy.conftest import MakeReplay, history_from_frames
from tests.comfy.replay import Part

FAST = BackoffPolicy(initial=0.02, cap=0.1)


def watcher(client: ComfyClient, **kwargs: Any) -> ComfyWatcher:
    kwargs.setdefault("backoff", FAST)
    kwargs.setdefault("end_grace", 0.5)
    kwargs.setdefault("history_wait", 2.0)
    return ComfyWatcher(client, **kwargs)


async def collect(handle: PromptHandle, timeout: float = 5.0) -> list[up.PromptUpdate]:
    async def drain() -> list[up.PromptUpdate]:
        return [u async for u in handle.updates()]

    return await asyncio.wait_for(drain(), timeout)


def of(kind: type, items: list[up.PromptUpdate]) -> list[Any]:
    return [u for u in items if isinstance(u, kind)]


def captured(parts: list[Part], kind: str, prompt_id: str) -> list[dict[str, Any]]:
    """The data of every ``kind`` frame the real server sent for ``prompt_id``."""
    frames = [json.loads(s.text) for p in parts for s in p.steps if s.text is not None]
    return [f["data"] for f in frames if f["type"] == kind and f["data"].get("prompt_id") == prompt_id]


def executing_nodes(parts: list[Part], prompt_id: str) -> list[str]:
    return [d["node"] for d in captured(parts, "executing", prompt_id) if d["node"] is not None]


async def test_ksampler_run_legacy_previews(replay: MakeReplay, part: Callable[..., Part], ref_json: Any, reference_dir: Path, tmp_path: Path) -> None:
    run = ref_json("ksampler_run.json")
    png = (reference_dir / "ksampler_output.png").read_bytes()
    parts = [part("ksampler")]
    server, url = await replay(parts, history=run["history"], view_files={"ref_ksampler_00001_.png": png})
    async with ComfyClient(url) as client, watcher(client) as w:
        assert w.state.status == "connected"
        queued = await client.queue_prompt(ref_json("workflow_ksampler_api.json"))
        handle = w.track(queued.prompt_id)
        items = await collect(handle)
        outcome = await handle.outcome(timeout=1)
        saved = await client.download_output(outcome.outputs[0], tmp_path / "out.png")

    assert outcome.status == "success" and not outcome.cached and outcome.error is None
    assert outcome.outputs == [OutputRef(node_id="7", filename="ref_ksampler_00001_.png", subfolder="", type="output")]
    assert outcome.execution_time_s == 1.63
    assert isinstance(items[0], up.Started) and isinstance(items[-1], up.Finished) and items[-1].outcome == outcome
    assert [(p.node, p.value, p.max) for p in of(up.Progress, items)] == [("5", 1, 4), ("5", 2, 4), ("5", 3, 4), ("5", 4, 4)]
    previews = of(up.Preview, items)
    assert len(previews) == 4 and {p.node for p in previews} == {"5"}
    for preview in previews:
        with Image.open(io.BytesIO(preview.image_bytes)) as image:
            assert image.format == "JPEG" and image.size == (512, 512)
    assert [e.node for e in of(up.Executing, items)] == executing_nodes(parts, queued.prompt_id)
    assert saved.read_bytes() == png and not (tmp_path / "out.png.part").exists()
    # The client announced preview metadata first thing, and waited for the end frame before reading history.
    assert json.loads(server.ws_received[0]) == {"type": "feature_flags", "data": {"supports_preview_metadata": True}}
    assert server.ws_connections[0].query == {"clientId": client.client_id}
    assert server.hits("POST", "/prompt")[0].body["client_id"] == client.client_id
    assert len(server.hits("GET", f"/history/{queued.prompt_id}")) == 2  # one {} from the race, then the entry


async def test_preview_metadata_frames_name_their_prompt(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    server, url = await replay([part("ksampler_preview_metadata")], history=ref_json("ksampler_preview_metadata_run.json")["history"])
    async with ComfyClient(url) as client, watcher(client) as w:
        handle = w.track((await client.queue_prompt(ref_json("workflow_ksampler_api.json"))).prompt_id)
        items = await collect(handle)
    previews = of(up.Preview, items)
    assert len(previews) == 4 and all(p.node == "5" and p.image_type == "image/jpeg" for p in previews)
    for preview in previews:
        Image.open(io.BytesIO(preview.image_bytes)).verify()
    assert of(up.Cached, items)[0].nodes == ("1", "2", "3", "4")
    outcome = items[-1].outcome
    assert outcome.status == "success" and outcome.execution_time_s == 0.43
    assert [o.filename for o in outcome.outputs] == ["ref_ksampler_meta_00001_.png"]
    assert w.server_features is not None and w.server_features.supports_preview_metadata


async def test_fully_cached_resubmission(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    run = ref_json("model_free_cached_run.json")
    server, url = await replay([part("model_free_cached")], history=run["history"])
    async with ComfyClient(url) as client, watcher(client) as w:
        queued = await client.queue_prompt(run["post_prompt"]["request"]["prompt"], extra_pnginfo={"workflow": {}})
        handle = w.track(queued.prompt_id)
        items = await collect(handle)
    outcome = items[-1].outcome
    assert outcome.status == "success" and outcome.cached
    assert [o.filename for o in outcome.outputs] == ["ref_model_free_00001_.png"]  # the temp preview is not an output
    assert not of(up.Executing, items)
    assert of(up.Cached, items)[0].nodes == ("1", "2", "3", "4", "5")
    executed = {e.node: [r.type for r in e.images] for e in of(up.Executed, items)}
    assert executed == {"4": ["output"], "5": ["temp"]}
    assert outcome.execution_time_s == 0.002
    assert server.hits("POST", "/prompt")[0].body["extra_data"] == {"extra_pnginfo": {"workflow": {}}}


async def test_uncached_run_is_not_marked_cached(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    server, url = await replay([part("model_free")], history=ref_json("model_free_history.json"))
    async with ComfyClient(url) as client, watcher(client) as w:
        handle = w.track((await client.queue_prompt(ref_json("workflow_model_free_api.json"))).prompt_id)
        outcome = await handle.outcome(timeout=5)
    assert outcome.status == "success" and not outcome.cached and outcome.execution_time_s == 0.055
    assert [o.filename for o in outcome.outputs] == ["ref_model_free_00001_.png"]


async def test_execution_error(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    server, url = await replay([part("execution_error")], history=ref_json("execution_error_history.json"))
    async with ComfyClient(url) as client, watcher(client) as w:
        handle = w.track((await client.queue_prompt({"1": {"class_type": "EmptyImage", "inputs": {}}})).prompt_id)
        items = await collect(handle)
    outcome = items[-1].outcome
    assert outcome.status == "error" and outcome.outputs == []
    assert outcome.error is not None
    assert (outcome.error.node_id, outcome.error.node_type, outcome.error.exception_type) == ("4", "ImageBatch", "RuntimeError")
    assert outcome.error.traceback and "Sizes of tensors must match" in outcome.error.exception_message
    assert outcome.error.summary().startswith("node 4 (ImageBatch): RuntimeError: Sizes of tensors")
    assert outcome.execution_time_s == 0.038
    assert of(up.Executed, items)[0].images == ()  # a text output carries no files


async def _interrupt_when(handle: PromptHandle, client: ComfyClient, ready: Callable[[up.PromptUpdate], bool]) -> list[up.PromptUpdate]:
    items: list[up.PromptUpdate] = []
    async for item in handle.updates():
        items.append(item)
        if ready(item):
            await client.interrupt(handle.prompt_id)
    return items


async def test_targeted_interrupt(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    run = ref_json("interrupt_targeted_run.json")
    server, url = await replay([part("interrupt_targeted")], history=run["history"])
    async with ComfyClient(url) as client, watcher(client) as w:
        handle = w.track((await client.queue_prompt(ref_json("workflow_slow_blur_api.json"))).prompt_id)
        ready = lambda u: isinstance(u, up.Executing) and u.node == "12"  # noqa: E731
        items = await asyncio.wait_for(_interrupt_when(handle, client, ready), 5)
    outcome = items[-1].outcome
    assert outcome.status == "interrupted" and outcome.outputs == [] and outcome.error is None
    assert outcome.execution_time_s == 6.968
    assert [r.body for r in server.hits("POST", "/interrupt")] == [{"prompt_id": handle.prompt_id}]


async def test_ksampler_interrupt_mid_sampling(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    server, url = await replay([part("ksampler_interrupt")], history=ref_json("ksampler_interrupt_run.json")["history"])
    async with ComfyClient(url) as client, watcher(client) as w:
        handle = w.track((await client.queue_prompt(ref_json("workflow_ksampler_api.json"))).prompt_id)
        ready = lambda u: isinstance(u, up.Progress) and u.value == 3  # noqa: E731
        items = await asyncio.wait_for(_interrupt_when(handle, client, ready), 5)
    assert [p.value for p in of(up.Progress, items)] == [1, 2, 3]
    assert len(of(up.Preview, items)) == 3
    assert items[-1].outcome.status == "interrupted"
    assert server.hits("POST", "/interrupt")[0].body == {"prompt_id": handle.prompt_id}


async def test_queue_delete(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    run = ref_json("queue_delete_run.json")
    pids = run["pids"]
    history = {**run["history_A"], **run["history_C"]}
    server, url = await replay([part("queue_delete")], history=history)
    async with ComfyClient(url) as client, watcher(client) as w:
        queued = [await client.queue_prompt(ref_json("workflow_slow_blur_api.json")) for _ in range(3)]
        a, b, c = (w.track(q.prompt_id) for q in queued)
        assert [a.prompt_id, b.prompt_id, c.prompt_id] == [pids["A_running"], pids["B_pending_deleted"], pids["C_pending_kept"]]
        await client.delete_queued([b.prompt_id])
        await w.refresh([b.prompt_id])
        lost = await b.outcome(timeout=1)
        await client.delete_queued([a.prompt_id])  # the running prompt: no effect, as on the real server
        done_a, done_c = await a.outcome(timeout=5), await c.outcome(timeout=5)
    assert lost.status == "lost" and lost.outputs == []
    assert done_a.status == "success" and [o.filename for o in done_a.outputs] == ["qdel0_00001_.png", "qdel0_00002_.png"]
    assert done_c.status == "success" and [o.filename for o in done_c.outputs] == ["qdel2_00001_.png", "qdel2_00002_.png"]
    assert [r.body for r in server.hits("POST", "/queue")] == [{"delete": [b.prompt_id]}, {"delete": [a.prompt_id]}]


@pytest.mark.parametrize("keep_progress", [True, False], ids=["with-progress", "preview-only"])
async def test_multi_client_broadcasts_are_not_attributed(replay: MakeReplay, part: Callable[..., Part], keep_progress: bool) -> None:
    # A's second prompt was posted without a client_id: every socket gets its progress and
    # its type-1 PNG, and no socket gets execution_start/executing for it.
    drop = None if keep_progress else (lambda d: d["type"] == "progress")
    a_part, b_part = part("multi_client_A", drop=drop), part("multi_client_B_observer", drop=drop)
    first_id = "051c34d1-8882-4de0-8d56-05cc9ae59f64"
    server_a, url_a = await replay([a_part], history={first_id: history_from_frames([a_part], first_id)})
    server_b, url_b = await replay([b_part])
    async with ComfyClient(url_a) as client_a, watcher(client_a) as wa, ComfyClient(url_b) as client_b, watcher(client_b) as wb:
        a_waiting, b_waiting = wa.track("a-queued-behind"), wb.track("b-queued-behind")
        server_a.pending.append(a_waiting.prompt_id)
        server_b.pending.append(b_waiting.prompt_id)
        first = wa.track((await client_a.queue_prompt({"3": {"class_type": "PreviewImage", "inputs": {}}})).prompt_id)
        items = await collect(first)
        async with httpx.AsyncClient(base_url=url_a) as anonymous:
            await anonymous.post("/prompt", json={"prompt": {}})
        await asyncio.wait_for(asyncio.gather(server_a.part_done.wait(), server_b.part_done.wait()), 5)
        await asyncio.gather(wa.refresh(), wb.refresh())  # both still pending on their servers
        for waiting in (a_waiting, b_waiting):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(waiting.updates()), 0.1)
            assert not waiting.done
    assert first.prompt_id == first_id and items[-1].outcome.status == "success"
    assert items[-1].outcome.outputs == []  # PreviewImage writes temp files only
    assert of(up.Executed, items)[0].images[0].type == "temp"
    assert not of(up.Preview, items) and not of(up.Progress, items)


async def test_reconnect_reconciles_and_ignores_replayed_executing(replay: MakeReplay, part: Callable[..., Part]) -> None:
    parts = [part("reconnect_part1"), part("reconnect_part2")]
    pid = "d09f3c7a-1eb2-47cf-acb5-9490c0d3829a"
    server, url = await replay(parts, history={pid: history_from_frames(parts, pid)}, close_after={0})
    async with ComfyClient(url) as client, watcher(client) as w:
        states = []

        async def watch_states() -> None:
            async for state in w.connection_events():
                states.append(state.status)

        watching = asyncio.create_task(watch_states())
        handle = w.track((await client.queue_prompt({"99": {"class_type": "SaveImage", "inputs": {}}})).prompt_id)
        items = await collect(handle)
        watching.cancel()
    outcome = items[-1].outcome
    assert outcome.status == "success" and outcome.execution_time_s == 7.248
    assert [o.filename for o in outcome.outputs] == ["reconn_00001_.png", "reconn_00002_.png"]
    assert [e.node for e in of(up.Executing, items)] == executing_nodes(parts, pid) == ["1", "10", "11", "12", "90", "99"]
    assert len(server.ws_connections) == 2
    assert server.ws_connections[1].query == {"clientId": client.client_id}
    assert [json.loads(m)["type"] for m in server.ws_received] == ["feature_flags", "feature_flags"]
    assert "reconnecting" in states and states[-1] == "connected"
    # Reconciliation after the reconnect: history was still {} and the queue showed it running.
    assert server.hits("GET", "/queue")
