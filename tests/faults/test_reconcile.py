"""Point 3's rules, one row per case: what start-up reconciliation makes of each leftover."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from sftui import db
from sftui.comfy.client import ComfyClient
from sftui.comfy.simulator import Simulator, SimulatorConfig
from sftui.generation.lease import ClientLease, lease_alive, lease_path, remove_dead_leases
from sftui.generation.reconcile import reconcile_unfinished
from sftui.generation.runner import GenerationRunner
from sftui.generation.service import GenerationPlanner
from sftui.generation.submission import is_resubmission, resubmission_id
from sftui.generation.tracking import LOST_MESSAGE
from tests.faults.helpers import (
    CHECKPOINT,
    FAST,
    assert_counters_exact,
    assert_outputs_present,
    failing_graph,
    posts_by_generation,
    request,
    until,
    wait_sync,
)


@pytest.fixture
def db_path(tmp_path: Path):
    path = tmp_path / "data" / "sftui.db"
    db.open_database(path)
    yield path
    db.close_database()


@pytest.fixture
async def sim():
    server = Simulator(SimulatorConfig(step_delay=0.02, node_delay=0.001, fail_class_types=frozenset({"ImageInvert"})))
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


async def _prompt(client: Any, **kwargs: Any) -> dict:
    plan = await GenerationPlanner(client=client).plan(request(1, **kwargs))
    return plan.items[0].prompt


def _row(session_id: str, prompt: dict, *, server_url: str, client_id: str | None, prompt_id: str | None = None, running: bool = False) -> Any:
    gen = db.create_generation(
        session_id=session_id,
        prompt_text="left over",
        parameters={"seed": 1, "steps": 4},
        workflow_json_snapshot=json.dumps(prompt),
        batch_index=0,
        server_url=server_url,
        client_id=client_id,
    )
    if prompt_id is not None:
        db.mark_generation_submitted(gen.id, prompt_id=prompt_id)
    if running:
        db.mark_generation_running(gen.id)
    return db.get_generation(gen.id)


async def test_each_leftover_ends_by_the_rules(db_path: Path, sim: Simulator) -> None:
    session = db.create_session("left behind")
    dead = f"dead-{uuid.uuid4()}"
    live = ClientLease.acquire(db_path.parent, "someone-alive")
    try:
        async with ComfyClient(sim.url) as client, ComfyClient(sim.url) as other:
            good = await _prompt(client, steps=3)
            slow = await _prompt(client, steps=60)
            bad = await _prompt(client, workflow_json=failing_graph(), parameters={"checkpoint_name": CHECKPOINT})
            # What the dead process had posted (through another client id: nobody hears its events).
            done_id, error_id, queued_id = (str(uuid.uuid4()) for _ in range(3))
            await other.queue_prompt(good, prompt_id=done_id, extra_pnginfo={"sftui": {"generation_id": "x"}})
            await other.queue_prompt(bad, prompt_id=error_id)
            await until(lambda: done_id in sim.queue.history and error_id in sim.queue.history, what="both to finish")
            await other.queue_prompt(slow, prompt_id=queued_id)
            url = client.base_url
            rows = {
                "done": _row(session.id, good, server_url=url, client_id=dead, prompt_id=done_id, running=True),
                "error": _row(session.id, bad, server_url=url, client_id=dead, prompt_id=error_id, running=True),
                "queued": _row(session.id, slow, server_url=url, client_id=dead, prompt_id=queued_id),
                "never_posted": _row(session.id, good, server_url=url, client_id=dead),
                "started_lost": _row(session.id, good, server_url=url, client_id=dead, prompt_id=str(uuid.uuid4()), running=True),
                "waiting_lost": _row(session.id, good, server_url=url, client_id=None, prompt_id=str(uuid.uuid4())),
                "lost_twice": _row(session.id, good, server_url=url, client_id=dead, prompt_id=resubmission_id("g", str(uuid.uuid4()))),
                "live_owner": _row(session.id, good, server_url=url, client_id="someone-alive", prompt_id=str(uuid.uuid4())),
                "other_server": _row(session.id, good, server_url="http://127.0.0.1:9", client_id=dead, prompt_id=str(uuid.uuid4())),
            }
            posts_before = sim.number
            async with GenerationRunner(db_path=db_path, client=client, backoff=FAST, adopt_poll=0.2) as runner:
                report = await runner.reconcile()
                adopted = {gen.id for gen in report.adopt}
                await runner.wait(sorted(adopted))
    finally:
        live.release()
    final = {name: db.get_generation(row.id) for name, row in rows.items()}
    assert final["done"].status == "completed" and final["done"].prompt_id == done_id
    assert final["error"].status == "failed" and "Simulated failure of ImageInvert" in final["error"].error
    assert final["queued"].status == "completed" and final["queued"].prompt_id == queued_id
    assert final["never_posted"].status == "completed"
    assert final["started_lost"].status == "failed" and final["started_lost"].error == LOST_MESSAGE
    assert final["started_lost"].error_details.model_dump()["retryable"] is True
    assert final["waiting_lost"].status == "completed" and is_resubmission(final["waiting_lost"].prompt_id)
    assert final["lost_twice"].status == "failed" and final["lost_twice"].error == LOST_MESSAGE
    assert final["live_owner"].status == "pending" and final["other_server"].status == "pending"
    assert sorted(report.completed) == sorted([rows["done"].id])
    assert sorted(report.failed) == sorted([rows["error"].id, rows["started_lost"].id, rows["lost_twice"].id])
    assert report.submitted == [rows["never_posted"].id] and report.resubmitted == [rows["waiting_lost"].id]
    assert adopted == {rows["queued"].id, rows["never_posted"].id, rows["waiting_lost"].id}
    assert report.skipped == 2 and "1 completed" in report.summary()
    # Exactly one new post each for the never-posted and the lost-before-start generation.
    assert sim.number - posts_before == 2
    counts = posts_by_generation(sim)
    assert counts[rows["never_posted"].id] == 1 and counts[rows["waiting_lost"].id] == 1
    assert {g.client_id for name, g in final.items() if name not in ("live_owner", "other_server")} == {client.client_id}
    assert assert_outputs_present(db_path) == 4
    assert_counters_exact(db_path)


async def test_two_reconcilers_never_take_the_same_row(db_path: Path, sim: Simulator) -> None:
    session = db.create_session("contended")
    async with ComfyClient(sim.url) as a, ComfyClient(sim.url) as b:
        good = await _prompt(a, steps=2)
        ids = [_row(session.id, good, server_url=a.base_url, client_id="gone").id for _ in range(6)]
        import asyncio

        first, second = await asyncio.gather(reconcile_unfinished(db_path, a), reconcile_unfinished(db_path, b))
    taken = first.submitted + second.submitted
    assert sorted(taken) == sorted(ids) and not set(first.submitted) & set(second.submitted)
    assert sim.number == 6 and all(n == 1 for n in posts_by_generation(sim).values())


def test_lease_follows_the_life_of_its_process(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path; from sftui.generation.lease import ClientLease; "
        "ClientLease.acquire(Path(sys.argv[1]), 'child-client'); print('held', flush=True); time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"held"
        assert lease_alive(tmp_path, "child-client")
        assert remove_dead_leases(tmp_path) == 0 and lease_path(tmp_path, "child-client").exists()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    wait_sync(lambda: not lease_alive(tmp_path, "child-client"), 5, "the kernel to drop the lock")
    assert remove_dead_leases(tmp_path) == 1 and not lease_path(tmp_path, "child-client").exists()
    assert not lease_alive(tmp_path, "never-existed") and not lease_alive(tmp_path, None)
