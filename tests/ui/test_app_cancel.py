"""ctrl+x: a queue delete for a pending generation, a targeted interrupt for the running one."""

from __future__ import annotations

import pytest

from sftui.db import get_generation
from tests.ui.conftest import cards, ready, wait_for, wait_for_status


@pytest.fixture
def simulator(tmp_path):
    """About 2 s per image: time enough to cancel."""
    from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

    sim = SimulatorThread(SimulatorConfig(step_delay=0.1, node_delay=0.005, output_dir=tmp_path / "sim-out"))
    sim.start()
    yield sim
    sim.stop()


async def test_cancel_a_pending_then_the_running_generation(make_app) -> None:
    app = make_app(images="off")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"rain")
        await pilot.click("#param-count")
        await pilot.press("home", "ctrl+k", "3")
        await pilot.press("ctrl+j")
        await wait_for_status(pilot, screen, ["running", "pending", "pending"])
        assert screen.header.queue_length == 3

        # The last, pending one: focus it from the prompt and cancel it.
        await pilot.click("#prompt")
        await pilot.press("shift+tab")
        third = cards(screen)[2]
        assert app.focused is third
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: cards(screen)[2].generation.status == "failed", what="the pending one cancelled")
        assert cards(screen)[2].generation.error == "cancelled by the user"
        assert cards(screen)[0].generation.status == "running"

        # With the focus on a finished card, ctrl+x cancels whichever one runs now; the other ends normally.
        running = await wait_for(pilot, lambda: next((c.generation.id for c in cards(screen)[:2] if c.generation.status == "running"), None), what="a running generation")
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: all(c.generation.status in ("completed", "failed") for c in cards(screen)), timeout=20, what="every card finished")
        by_id = {c.generation.id: c.generation for c in cards(screen)}
        assert by_id[running].status == "failed"
        assert get_generation(running).error in ("interrupted", "cancelled by the user")
        other = next(gid for gid in by_id if gid not in (running, third.generation.id))
        assert by_id[other].status == "completed"
        await wait_for(pilot, lambda: screen.header.queue_length == 0, what="an empty queue")
        assert any("cancelled" in str(n.message) for n in app._notifications)


async def test_ctrl_x_with_nothing_running_says_so(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+x")
        assert any("Nothing is running" in str(n.message) for n in app._notifications)
