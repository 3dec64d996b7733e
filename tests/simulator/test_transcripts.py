"""The simulator, driven as the recorder drove the real server, sends the captured frames."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sftui.comfy.simulator import SimulatorConfig
from tests.simulator.harness import Api, running, substitute
from tests.simulator.transcript import (
    Frame,
    Recorder,
    assert_same,
    count,
    http_calls,
    load,
    prompt_of,
    received,
    seen,
    shape,
    text_frame,
)

pytestmark = pytest.mark.timeout(30)

# Slow enough nodes/steps for an interrupt or a reconnect to land where it did on the real server.
SLOW_NODES = SimulatorConfig(step_delay=0.005, node_delay=0.08)
SLOW_STEPS = SimulatorConfig(step_delay=0.06, node_delay=0.002)


def client_id(entries: list[Frame]) -> str:
    return entries[0]["url"].split("clientId=")[1]


def done(prompt_id: str) -> Any:
    return seen("executing", node=None, prompt_id=prompt_id)


async def post_as_captured(api: Api, call: Frame) -> str:
    """Replays a captured POST /prompt and checks the reply has the captured status and shape."""
    status, _, response = await api.request("POST", "/prompt", substitute(call["request"]))
    assert status == call["status"]
    assert shape(response) == shape(call["response"])
    return str(response["prompt_id"])


async def replay_simple(api: Api, entries: list[Frame], *, first_message: dict[str, Any] | None = None) -> list[Frame]:
    recorder = await Recorder(api.session, api.url, client_id(entries)).open(first_message)
    await recorder.wait_for(lambda f: len(f) >= 1 + (first_message is not None))
    prompt_id = await post_as_captured(api, http_calls(entries)[0])
    frames = await recorder.wait_for(done(prompt_id))
    await recorder.close()
    return frames


async def prime(api: Api, entries: list[Frame]) -> dict[str, Any]:
    """Runs a capture's prompt once beforehand, on another client, so its nodes are cached."""
    body = dict(http_calls(entries)[0]["request"], client_id="primer")
    prompt_id = (await api.post_prompt(body))["prompt_id"]
    return await api.wait_history(prompt_id)


@pytest.mark.parametrize("name", ["ksampler", "model_free", "model_free_no_extra", "execution_error"])
async def test_single_prompt_runs_match_capture(reference_dir: Path, name: str) -> None:
    entries = load(reference_dir / f"ws_transcript_{name}.jsonl")
    async with running() as api:
        frames = await replay_simple(api, entries)
    assert_same(frames, received(entries))


async def test_identical_resubmission_is_fully_cached(reference_dir: Path) -> None:
    first = load(reference_dir / "ws_transcript_model_free.jsonl")
    entries = load(reference_dir / "ws_transcript_model_free_cached.jsonl")
    async with running() as api:
        primed = await prime(api, first)
        frames = await replay_simple(api, entries)
        executed = [f["data"]["data"] for f in frames if text_frame(f, "executed")]
        history = await api.history(prompt_of(frames[-1]) or "")
    assert_same(frames, received(entries))
    # The cached run repeats the first run's filenames, and so does its history.
    assert {e["node"]: e["output"] for e in executed} == primed["outputs"]
    assert next(iter(history.values()))["outputs"] == primed["outputs"]


async def test_preview_metadata_gives_type_4_previews(reference_dir: Path) -> None:
    entries = load(reference_dir / "ws_transcript_ksampler_preview_metadata.jsonl")
    flags = next(e["data"] for e in entries if e["dir"] == "send")
    async with running() as api:
        await prime(api, load(reference_dir / "ws_transcript_ksampler.jsonl"))
        frames = await replay_simple(api, entries, first_message=flags)
    assert_same(frames, received(entries))


async def test_ksampler_interrupt_lands_at_next_step(reference_dir: Path) -> None:
    entries = load(reference_dir / "ws_transcript_ksampler_interrupt.jsonl")
    async with running(SLOW_STEPS) as api:
        await prime(api, load(reference_dir / "ws_transcript_ksampler.jsonl"))
        recorder = await Recorder(api.session, api.url, client_id(entries)).open()
        await recorder.wait_for(lambda f: len(f) >= 1)
        prompt_id = await post_as_captured(api, http_calls(entries)[0])
        await recorder.wait_for(lambda f: sum(x["kind"] == "binary" for x in f) >= 3)
        status, _, body = await api.request("POST", "/interrupt", {"prompt_id": prompt_id})
        frames = await recorder.wait_for(done(prompt_id))
        await recorder.close()
        history = await api.history(prompt_id)
    assert (status, body) == (200, "")
    assert_same(frames, received(entries))
    assert history[prompt_id]["status"]["status_str"] == "error" and history[prompt_id]["status"]["completed"] is False


@pytest.mark.parametrize("name", ["interrupt", "interrupt_targeted"])
async def test_interrupt_lands_at_next_node(reference_dir: Path, name: str) -> None:
    entries = load(reference_dir / f"ws_transcript_{name}.jsonl")
    interrupt = http_calls(entries)[1]
    async with running(SLOW_NODES) as api:
        recorder = await Recorder(api.session, api.url, client_id(entries)).open()
        await recorder.wait_for(lambda f: len(f) >= 1)
        prompt_id = await post_as_captured(api, http_calls(entries)[0])
        await recorder.wait_for(seen("executing", node="12"))
        body = {"prompt_id": prompt_id} if interrupt["request"] else ""
        status, _, reply = await api.request("POST", "/interrupt", body)
        frames = await recorder.wait_for(done(prompt_id))
        await recorder.close()
        entry = (await api.history(prompt_id))[prompt_id]
    assert (status, reply) == (interrupt["status"], interrupt["response"])
    assert_same(frames, received(entries))
    assert (entry["status"]["status_str"], entry["status"]["completed"], entry["outputs"]) == ("error", False, {})
    assert [m[0] for m in entry["status"]["messages"]] == ["execution_start", "execution_cached", "execution_interrupted"]


def _per_prompt(frames: list[Frame]) -> dict[str | None, list[Frame]]:
    """Frames grouped by prompt id; statuses (and type-1 previews) under None."""
    groups: dict[str | None, list[Frame]] = {}
    for frame in frames:
        groups.setdefault(prompt_of(frame), []).append(frame)
    return groups


async def test_queue_delete_of_pending_prompt(reference_dir: Path) -> None:
    entries = load(reference_dir / "ws_transcript_queue_delete.jsonl")
    calls = http_calls(entries)
    async with running(SLOW_NODES) as api:
        recorder = await Recorder(api.session, api.url, client_id(entries)).open()
        await recorder.wait_for(lambda f: len(f) >= 1)
        ids = [await post_as_captured(api, call) for call in calls[:3]]
        await recorder.wait_for(seen("executing", node="10"))
        for call, target in ((calls[3], ids[1]), (calls[4], ids[0])):
            status, _, reply = await api.request("POST", "/queue", {"delete": [target]})
            assert (status, reply) == (call["status"], call["response"])
        frames = await recorder.wait_for(done(ids[2]), timeout=20)
        await recorder.close()
        histories = [await api.history(i) for i in ids]
    captured_ids = [c["response"]["prompt_id"] for c in calls[:3]]
    ours, theirs = _per_prompt(frames), _per_prompt(received(entries))
    for mine, captured in zip(ids, captured_ids):
        assert_same(ours.get(mine, []), theirs.get(captured, []))
    assert_same(ours[None], theirs[None])
    assert histories[1] == {} and histories[0] and histories[2]


async def test_multi_client_observer_and_prompt_without_client_id(reference_dir: Path) -> None:
    a_entries = load(reference_dir / "ws_transcript_multi_client_A.jsonl")
    b_entries = load(reference_dir / "ws_transcript_multi_client_B_observer.jsonl")
    first, second = http_calls(a_entries)
    async with running() as api:
        observer = await Recorder(api.session, api.url, client_id(b_entries)).open()
        await observer.wait_for(lambda f: len(f) >= 1)
        owner = await Recorder(api.session, api.url, client_id(a_entries)).open()
        await owner.wait_for(lambda f: len(f) >= 1)
        first_id = await post_as_captured(api, first)
        await owner.wait_for(done(first_id))
        second_id = await post_as_captured(api, second)
        await api.wait_history(second_id)
        await owner.wait_for(count("status", 2, status={"exec_info": {"queue_remaining": 0}}))
        await observer.wait_for(count("status", 2, status={"exec_info": {"queue_remaining": 0}}))
        await asyncio.sleep(0.05)
        await owner.close()
        await observer.close()
    assert_same(owner.frames, received(a_entries))
    assert_same(observer.frames, received(b_entries))


async def test_reconnect_replays_executing_without_prompt_id(reference_dir: Path) -> None:
    part1 = load(reference_dir / "ws_transcript_reconnect_part1.jsonl")
    part2 = load(reference_dir / "ws_transcript_reconnect_part2.jsonl")
    async with running(SimulatorConfig(step_delay=0.005, node_delay=0.15)) as api:
        first = await Recorder(api.session, api.url, client_id(part1)).open()
        await first.wait_for(lambda f: len(f) >= 1)
        prompt_id = await post_as_captured(api, http_calls(part1)[0])
        await first.wait_for(seen("executing", node="11"))
        await first.close()
        second = await Recorder(api.session, api.url, client_id(part2)).open()
        frames = await second.wait_for(done(prompt_id), timeout=20)
        await second.close()
    assert_same(first.frames, received(part1))
    assert_same(frames, received(part2))
    assert frames[1]["data"] == {"type": "executing", "data": {"node": "11"}}
