from __future__ import annotations

import asyncio
import random

from sftui.comfy.connection import BackoffPolicy
from sftui.comfy.models import PromptOutcome
from sftui.comfy.updates import Executed, Executing, Finished, Preview, Progress, Started, UpdateBuffer


def test_backoff_bound_grows_then_caps() -> None:
    policy = BackoffPolicy()
    assert [policy.bound(n) for n in range(1, 10)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    assert policy.bound(10_000) == 30


def test_backoff_has_full_jitter() -> None:
    policy = BackoffPolicy(initial=0.5, cap=30)
    assert policy.delay(4, rng=lambda: 1.0) == 4 and policy.delay(4, rng=lambda: 0.0) == 0
    assert policy.delay(4, rng=lambda: 0.25) == 1
    rng = random.Random(7)
    samples = [policy.delay(8, rng=rng.random) for _ in range(200)]
    assert all(0 <= s <= 30 for s in samples)
    assert len(set(samples)) == 200 and min(samples) < 10 and max(samples) > 20


def test_backoff_is_configurable() -> None:
    policy = BackoffPolicy(initial=1, cap=5, multiplier=3)
    assert [policy.bound(n) for n in range(1, 5)] == [1, 3, 5, 5]


async def test_buffer_coalesces_progress_under_pressure() -> None:
    buffer: UpdateBuffer[object] = UpdateBuffer(8)
    buffer.put(Started("p"))
    for step in range(1, 1001):
        buffer.put(Progress("5", step, 1000))
        buffer.put(Preview(b"img%d" % step, "image/jpeg", "5"))
    buffer.put(Executed("7", ()))
    outcome = PromptOutcome(prompt_id="p", status="success")
    buffer.put(Finished(outcome))
    buffer.close()
    items = [item async for item in _drain(buffer)]
    assert len(items) <= 8 and buffer.dropped > 0
    assert items[0] == Started("p") and items[-2:] == [Executed("7", ()), Finished(outcome)]
    progress = [i for i in items if isinstance(i, Progress)]
    assert progress and progress[-1].value == 1000  # the latest state survives


async def test_buffer_keeps_everything_when_read_promptly() -> None:
    buffer: UpdateBuffer[object] = UpdateBuffer(4)
    received = []

    async def consume() -> None:
        while (item := await buffer.get()) is not None:
            received.append(item)

    task = asyncio.create_task(consume())
    sent = [Progress("5", n, 50) for n in range(50)]
    for item in sent:
        buffer.put(item)
        await asyncio.sleep(0)
    buffer.close()
    await asyncio.wait_for(task, 1)
    assert received == sent and buffer.dropped == 0


async def test_buffer_full_of_structural_updates_stays_bounded() -> None:
    buffer: UpdateBuffer[object] = UpdateBuffer(4)
    for n in range(10):
        buffer.put(Executed(str(n), ()))
    buffer.put(Executing("x"))  # lossy and no room: dropped
    buffer.close()
    assert [i.node for i in [item async for item in _drain(buffer)]] == ["6", "7", "8", "9"]


async def _drain(buffer: UpdateBuffer[object]):  # type: ignore[no-untyped-def]
    while (item := await buffer.get()) is not None:
        yield item
