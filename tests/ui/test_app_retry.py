"""Shift+R posts a lost generation again (same seed); rows written by other processes appear by themselves."""

from __future__ import annotations

import asyncio

import pytest

from tests.ui.conftest import cards, ready, wait_for, wait_for_status


@pytest.fixture
def simulator(tmp_path):
    """Slow enough (about 2 s per image) to be stopped mid-run."""
    from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

    sim = SimulatorThread(SimulatorConfig(step_delay=0.1, node_delay=0.005, output_dir=tmp_path / "sim-out"))
    sim.start()
    yield sim
    sim.stop()


async def test_shift_r_retries_a_generation_the_restarted_server_lost(make_app, simulator, tmp_path) -> None:
    from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

    app = make_app(images="off")
    replacement = None
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await ready(pilot)
            await pilot.press(*"lost city", "ctrl+j")
            [card] = await wait_for_status(pilot, screen, ["running"])
            seed = card.generation.seed
            assert "R retry" not in str(card.query_one(".card-summary").render())

            # The server restarts on the same port with an empty queue and history.
            simulator.stop()
            fast = SimulatorConfig(step_delay=0.005, node_delay=0.001, output_dir=tmp_path / "sim-out-2")
            replacement = SimulatorThread(fast, port=_port(simulator.url))
            replacement.start()
            [card] = await wait_for_status(pilot, screen, ["failed"], timeout=20)
            assert card.generation.error_details.retryable
            await wait_for(pilot, lambda: "R retry" in str(cards(screen)[0].query_one(".card-summary").render()), what="the retry hint")

            cards(screen)[0].focus()
            await pilot.press("R")
            [card] = await wait_for_status(pilot, screen, ["completed"], timeout=20)
            assert card.generation.seed == seed
            assert card.generation.error is None
            await pilot.press("R")  # a completed card offers no retry
            assert cards(screen)[0].generation.status == "completed"
    finally:
        if replacement is not None:
            replacement.stop()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].strip("/"))


async def test_a_generation_written_by_another_process_appears_without_restart(make_app) -> None:
    from sftui import db

    app = make_app(images="off")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"mine", "ctrl+j")
        await wait_for_status(pilot, screen, ["completed"], timeout=20)
        [mine] = cards(screen)
        row = mine.generation
        created = await asyncio.to_thread(
            db.create_generation,
            session_id=row.session_id,
            prompt_text="from another terminal",
            parameters={"seed": 7, "steps": 3, "width": 64, "height": 64},
            workflow_json_snapshot=row.workflow_json_snapshot,
        )
        # Polled every 2 s: it shows up without restarting or reopening the session.
        await wait_for(pilot, lambda: len(cards(screen)) == 2, timeout=6, what="the other process's row")
        assert cards(screen)[1].generation.id == created.id
        assert cards(screen)[1].generation.prompt_text == "from another terminal"
