"""Watcher behaviour outside the happy path: races, restarts, late tracking, lifecycle."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from sftui.comfy import updates as up
from sftui.comfy.client import ComfyClient
from sftui.comfy.connection import BackoffPolicy
from sftui.comfy.tracker import ComfyWatcher
from sftui.errors import ServerError, ServerUnreachable
from tests.comfy.conftest import MakeReplay, history_from_frames
from tests.comfy.replay import Part

FAST = BackoffPolicy(initial=0.02, cap=0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_history_race_without_end_frame_is_retried(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    # No `executing {node: null}` arrives, /history answers {} twice after success, and the
    # `executed` frame went missing: the output can only come from the history entry.
    missing = lambda d: d["type"] == "executed" or (d["type"] == "executing" and d["data"]["node"] is None)  # noqa: E731
    no_end = part("ksampler", drop=missing)
    server, url = await replay([no_end], history=ref_json("ksampler_run.json")["history"], race_calls=2)
    async with ComfyClient(url) as client, ComfyWatcher(client, backoff=FAST, end_grace=0.2, history_wait=3) as w:
        handle = w.track((await client.queue_prompt({})).prompt_id)
        outcome = await handle.outcome(timeout=5)
    assert outcome.status == "success" and [o.filename for o in outcome.outputs] == ["ref_ksampler_00001_.png"]
    assert len(server.hits("GET", f"/history/{handle.prompt_id}")) == 3


async def test_success_without_history_falls_back_to_events(replay: MakeReplay, part: Callable[..., Part]) -> None:
    server, url = await replay([part("ksampler")])  # the server never writes history
    async with ComfyClient(url) as client, ComfyWatcher(client, backoff=FAST, end_grace=0.2, history_wait=0.3) as w:
        outcome = await w.track((await client.queue_prompt({})).prompt_id).outcome(timeout=5)
    assert outcome.status == "success" and outcome.execution_time_s == 1.63
    assert [o.filename for o in outcome.outputs] == ["ref_ksampler_00001_.png"]


async def test_prompt_lost_when_server_restarts(replay: MakeReplay, part: Callable[..., Part]) -> None:
    server, url = await replay([part("reconnect_part1")], close_after={0}, restart_on_reconnect=True)
    async with ComfyClient(url) as client, ComfyWatcher(client, backoff=FAST) as w:
        handle = w.track((await client.queue_prompt({})).prompt_id)
        items = await asyncio.wait_for(_all(handle), 5)
    outcome = items[-1].outcome
    assert outcome.status == "lost" and outcome.outputs == [] and outcome.error is None
    assert [type(u) for u in items[:2]] == [up.Started, up.Cached]
    assert len(server.ws_connections) == 2
    assert len(server.hits("GET", f"/history/{handle.prompt_id}")) == 2 and server.hits("GET", "/queue")


async def test_events_before_track_are_replayed(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    run = ref_json("model_free_cached_run.json")
    server, url = await replay([part("model_free_cached")], history=run["history"])
    async with ComfyClient(url) as client, ComfyWatcher(client, backoff=FAST) as w:
        queued = await client.queue_prompt({})
        await asyncio.wait_for(server.part_done.wait(), 5)
        await asyncio.sleep(0.05)
        handle = w.track(queued.prompt_id)
        items = await asyncio.wait_for(_all(handle), 5)
        assert w.track(queued.prompt_id).done  # a finished prompt stays known
    assert [type(u) for u in items] == [up.Started, up.Cached, up.Executed, up.Executed, up.Finished]
    assert items[-1].outcome.cached


async def test_watcher_needs_a_server_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    start = time.monotonic()
    async with ComfyClient(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(ServerUnreachable, match=r"cannot reach ComfyUI at ws://127\.0\.0\.1:\d+/ws\?clientId=.*: connection refused"):
            async with ComfyWatcher(client, backoff=FAST):
                pass
    assert time.monotonic() - start < 2


async def test_reconnect_schedule_is_reported() -> None:
    async with ComfyClient(f"http://127.0.0.1:{free_port()}") as client:
        w = ComfyWatcher(client, backoff=BackoffPolicy(initial=0.01, cap=0.04), require_connection=False)
        states = []
        async with w:
            async for state in w.connection_events():
                states.append(state)
                if state.status == "reconnecting" and state.attempt == 5:
                    break
    waits = [s for s in states if s.status == "reconnecting"]
    assert [s.attempt for s in waits] == [1, 2, 3, 4, 5]
    assert all(s.last_error == "connection refused" for s in waits)
    assert all(0 <= s.retry_in <= min(0.04, 0.01 * 2 ** (s.attempt - 1)) + 1e-9 for s in waits)
    assert {s.status for s in states} == {"connecting", "reconnecting"}


async def test_closing_the_watcher_releases_waiters(replay: MakeReplay, part: Callable[..., Part]) -> None:
    server, url = await replay([part("reconnect_part1")])
    async with ComfyClient(url) as client:
        async with ComfyWatcher(client, backoff=FAST) as w:
            handle = w.track((await client.queue_prompt({})).prompt_id)
            await asyncio.wait_for(server.part_done.wait(), 5)
            states = w.connection_events()
            assert (await anext(states)).status == "connected"
        with pytest.raises(ServerError, match="stopped watching prompt"):
            await handle.outcome(timeout=1)
        assert [s.status async for s in states] == ["closed"]
        with pytest.raises(ServerError, match="watcher is closed"):
            w.track("another")


async def test_headers_reach_http_and_ws_but_no_origin_and_no_logs(replay: MakeReplay, part: Callable[..., Part], ref_json: Any, caplog: pytest.LogCaptureFixture) -> None:
    secret = "Bearer s3cr3t-token-value"
    server, url = await replay([part("model_free_cached")], history=ref_json("model_free_cached_run.json")["history"])
    with caplog.at_level(logging.DEBUG):
        async with ComfyClient(url, headers={"Authorization": secret}) as client, ComfyWatcher(client, backoff=FAST) as w:
            await w.track((await client.queue_prompt({})).prompt_id).outcome(timeout=5)
            assert secret not in repr(client)
    everything = [*server.requests, *server.ws_connections]
    assert len(everything) >= 3
    assert all(r.headers.get("Authorization") == secret for r in everything)
    assert not any("Origin" in r.headers for r in everything)
    assert "s3cr3t" not in caplog.text


async def test_slow_consumer_keeps_memory_bounded(replay: MakeReplay, part: Callable[..., Part], ref_json: Any) -> None:
    server, url = await replay([part("ksampler")], history=ref_json("ksampler_run.json")["history"])
    async with ComfyClient(url) as client, ComfyWatcher(client, backoff=FAST, update_buffer=4) as w:
        handle = w.track((await client.queue_prompt({})).prompt_id)
        await handle.outcome(timeout=5)
        items = await asyncio.wait_for(_all(handle), 1)
    assert len(items) <= 4 and handle.dropped_updates > 0
    assert isinstance(items[-1], up.Finished) and items[-1].outcome.status == "success"


async def _all(handle: Any) -> list[up.PromptUpdate]:
    return [u async for u in handle.updates()]


async def test_updates_can_be_consumed_once(replay: MakeReplay, part: Callable[..., Part]) -> None:
    parts = [part("reconnect_part1"), part("reconnect_part2")]
    pid = "d09f3c7a-1eb2-47cf-acb5-9490c0d3829a"
    server, url = await replay(parts, history={pid: history_from_frames(parts, pid)})
    async with ComfyClient(url) as client, ComfyWatcher(client, backoff=FAST) as w:
        handle = w.track((await client.queue_prompt({})).prompt_id)
        first = handle.updates()
        await asyncio.wait_for(anext(first), 5)
        with pytest.raises(RuntimeError, match="already being consumed"):
            await anext(handle.updates())
        await first.aclose()
