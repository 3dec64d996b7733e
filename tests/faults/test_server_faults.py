"""Points 1 and 2: the server dies, restarts empty, or drops off the network mid-generation.

Everything runs in the test's event loop: the simulator(s), a TCP proxy, and one
``GenerationRunner``. No generation may end pending or running.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from sftui import db
from sftui.comfy.client import ComfyClient
from sftui.comfy.simulator import Simulator, SimulatorConfig
from sftui.generation.runner import GenerationRunner
from sftui.generation.submission import is_resubmission
from sftui.generation.tracking import DROPPED_MESSAGE, LOST_MESSAGE
from tests.faults.helpers import (
    CHECKPOINT,
    FAST,
    assert_counters_exact,
    assert_outputs_present,
    failing_graph,
    free_port,
    posts_by_generation,
    request,
    status_of,
    unfinished,
    until,
)
from tests.faults.proxy import TcpProxy

SLOW = SimulatorConfig(step_delay=0.04, node_delay=0.001)


@pytest.fixture
def db_path(tmp_path: Path):
    path = tmp_path / "data" / "sftui.db"
    db.open_database(path)
    yield path
    db.close_database()


def _retryable(gen) -> bool:
    return gen.error_details is not None and gen.error_details.model_dump().get("retryable") is True


async def test_restart_loses_the_running_one_resubmits_the_waiting_ones_and_retry_completes(db_path: Path) -> None:
    port = free_port()
    first, second = Simulator(SLOW), Simulator(SLOW)
    await first.start("127.0.0.1", port)
    states: list = []
    try:
        async with ComfyClient(first.url) as client:
            async with GenerationRunner(db_path=db_path, client=client, on_connection=states.append, backoff=FAST) as runner:
                rows, _ = await runner.submit(request(3, steps=12, seed=100))
                ids = [row.id for row in rows]
                snapshots = {row.id: row.workflow_json_snapshot for row in rows}
                await until(lambda: status_of(db_path, ids[0]) == "running", what="the first generation to start")
                await first.stop()  # dies with one running and two waiting
                await second.start("127.0.0.1", port)  # back, with an empty queue and history
                lost, again_1, again_2 = await runner.wait(ids)

                assert lost.status == "failed" and lost.error == LOST_MESSAGE and _retryable(lost)
                for gen in (again_1, again_2):
                    assert gen.status == "completed", gen.error
                    assert is_resubmission(gen.prompt_id)
                    assert gen.workflow_json_snapshot == snapshots[gen.id]
                # Each waiting generation reached the new server exactly once; the lost one not at all.
                assert posts_by_generation(second) == {ids[1]: 1, ids[2]: 1}
                assert second.number == 2

                retried = await runner.retry(ids[0])
                assert retried.status in ("pending", "running") and retried.prompt_id and not is_resubmission(retried.prompt_id)
                (done,) = await runner.wait([ids[0]])
    finally:
        await second.stop()
        await first.stop()
    assert done.status == "completed" and done.error is None and done.error_details is None
    assert done.seed == 100 and done.workflow_json_snapshot == snapshots[ids[0]]
    entry = next(e for e in second.queue.history.values() if e["prompt"][1] == done.prompt_id)
    assert entry["prompt"][2] == json.loads(snapshots[ids[0]])  # the stored snapshot, unchanged
    assert posts_by_generation(second) == {ids[0]: 1, ids[1]: 1, ids[2]: 1}
    assert unfinished(db_path) == []
    (counts,) = assert_counters_exact(db_path).values()
    assert counts == {"generation_count": 3, "completed_count": 3, "failed_count": 0}
    assert assert_outputs_present(db_path) == 3
    reconnects = [s for s in states if s.status == "reconnecting"]
    assert reconnects and all(0 <= s.retry_in <= FAST.cap for s in reconnects)
    assert any(s.status == "connected" for s in states[states.index(reconnects[0]) :])


async def test_network_outage_settles_from_history_completed_and_failed(db_path: Path) -> None:
    sim = Simulator(SimulatorConfig(step_delay=0.03, node_delay=0.001, fail_class_types=frozenset({"ImageInvert"})))
    await sim.start("127.0.0.1", 0)
    proxy = TcpProxy(sim.port)
    await proxy.start()
    states: list = []
    try:
        async with ComfyClient(proxy.url) as client:
            async with GenerationRunner(db_path=db_path, client=client, on_connection=states.append, backoff=FAST) as runner:
                (good,), _ = await runner.submit(request(1, steps=15, seed=7))
                (bad,), _ = await runner.submit(request(1, seed=8, workflow_json=failing_graph(), parameters={"checkpoint_name": CHECKPOINT}))
                await until(lambda: status_of(db_path, good.id) == "running", what="the first generation to start")
                await proxy.drop()  # the server keeps working, unseen
                await until(lambda: len(sim.queue.history) == 2, what="both prompts to finish on the server")
                assert status_of(db_path, good.id) == "running"
                await proxy.restore()
                good_final, bad_final = await runner.wait([good.id, bad.id])
    finally:
        await proxy.close()
        await sim.stop()
    assert good_final.status == "completed" and good_final.generation_time_seconds is not None
    assert bad_final.status == "failed" and "Simulated failure of ImageInvert" in bad_final.error
    assert bad_final.error_details.node_type == "ImageInvert"
    assert sim.number == 2  # nothing was posted twice
    assert assert_outputs_present(db_path) == 1
    assert any(s.status == "reconnecting" for s in states)
    assert unfinished(db_path) == []
    assert_counters_exact(db_path)


async def test_generations_stored_while_disconnected_are_posted_once_on_connect(db_path: Path) -> None:
    port = free_port()
    sim = Simulator(SimulatorConfig(step_delay=0.002, node_delay=0.001))
    await sim.start("127.0.0.1", port)
    events: list = []
    async with ComfyClient(sim.url) as client:
        await client.get_object_info()  # as the TUI's cache would hold it
        await sim.stop()
        later = Simulator(SimulatorConfig(step_delay=0.002, node_delay=0.001))
        try:
            runner = GenerationRunner(db_path=db_path, client=client, sink=events.append, require_connection=False, backoff=FAST)
            async with runner:
                rows, _ = await runner.submit(request(2, seed=11))
                assert [(r.status, r.prompt_id) for r in rows] == [("pending", None), ("pending", None)]
                assert [e.event for e in events] == ["generation:queued", "generation:queued"]
                assert sorted(runner.active) == sorted(r.id for r in rows)
                await later.start("127.0.0.1", port)
                final = await runner.wait([r.id for r in rows])
        finally:
            await later.stop()
    assert [g.status for g in final] == ["completed", "completed"]
    assert posts_by_generation(later) == {rows[0].id: 1, rows[1].id: 1} and later.number == 2
    # Posted in the order they were stored.
    order = sorted(later.queue.history.values(), key=lambda e: e["prompt"][0])
    assert [e["prompt"][3]["extra_pnginfo"]["sftui"]["generation_id"] for e in order] == [rows[0].id, rows[1].id]
    assert_counters_exact(db_path)


async def test_prompt_deleted_by_another_client_is_not_forced_back(db_path: Path) -> None:
    sim = Simulator(SimulatorConfig(step_delay=0.03, node_delay=0.001))
    await sim.start("127.0.0.1", 0)
    try:
        async with ComfyClient(sim.url) as client, ComfyClient(sim.url) as other:
            async with GenerationRunner(db_path=db_path, client=client, backoff=FAST) as runner:
                rows, _ = await runner.submit(request(2, steps=10, seed=3))
                await other.delete_queued([rows[1].prompt_id])  # e.g. "clear queue" in ComfyUI's web page
                await runner.refresh()
                first, second = await runner.wait([r.id for r in rows])
    finally:
        await sim.stop()
    assert first.status == "completed"
    assert second.status == "failed" and second.error == DROPPED_MESSAGE and _retryable(second)
    assert sim.number == 2
    assert_counters_exact(db_path)


async def test_cancelled_generation_is_never_resubmitted(db_path: Path) -> None:
    port = free_port()
    first, second = Simulator(SLOW), Simulator(SLOW)
    await first.start("127.0.0.1", port)
    try:
        async with ComfyClient(first.url) as client:
            async with GenerationRunner(db_path=db_path, client=client, backoff=FAST) as runner:
                rows, _ = await runner.submit(request(2, steps=40, seed=5))
                await until(lambda: status_of(db_path, rows[0].id) == "running", what="the first generation to start")
                await asyncio.wait_for(runner.cancel(rows[1].id), 1.5)  # no 3 s wait for a deleted prompt
                await first.stop()
                await second.start("127.0.0.1", port)
                lost, cancelled = await runner.wait([r.id for r in rows])
    finally:
        await second.stop()
        await first.stop()
    assert lost.error == LOST_MESSAGE and cancelled.error == "cancelled by the user"
    assert second.number == 0
    assert_counters_exact(db_path)
