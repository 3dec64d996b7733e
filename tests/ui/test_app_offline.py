"""The server away: the header says so, generating keeps the request locally, the reconnect submits it."""

from __future__ import annotations

import pytest

from sftui.comfy.simulator import SimulatorConfig, SimulatorThread
from tests.ui.conftest import cards, ready, wait_for, wait_for_status


@pytest.fixture
def free_url(simulator):
    """A loopback URL where nothing listens (the simulator's, after it stopped)."""
    url, port = simulator.url, int(simulator.url.rsplit(":", 1)[1])
    simulator.stop()
    return url, port


def start_on(port: int, tmp_path) -> SimulatorThread:
    sim = SimulatorThread(SimulatorConfig(step_delay=0.005, node_delay=0.001, output_dir=tmp_path / "sim2"), port=port)
    sim.start()
    return sim


async def test_generate_offline_then_the_reconnect_submits_it(make_app, free_url, tmp_path) -> None:
    url, port = free_url
    app = make_app(server_url=url)
    server = None
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await ready(pilot, connected=False)
            await wait_for(pilot, lambda: "Reconnecting in" in screen.header.text, what="the reconnect countdown")

            await pilot.press(*"offline")
            await pilot.press("ctrl+j")
            [card] = await wait_for(pilot, lambda: len(cards(screen)) == 1 and cards(screen), what="the local card")
            assert card.local and card.generation.status == "pending"
            assert "not sent yet" in card.query_one(".card-head").render().plain
            assert screen.header.queue_length == 1
            assert any("sent when it is back" in str(n.message) for n in app._notifications)

            server = start_on(port, tmp_path)
            await wait_for(pilot, lambda: "Connected" in screen.header.text, timeout=15, what="the reconnect")
            [done] = await wait_for_status(pilot, screen, ["completed"], timeout=15)
            assert not done.local
            assert done.generation.prompt_text == "offline"
            await wait_for(pilot, lambda: screen.header.queue_length == 0, what="the queue emptied")

            # The server goes away again: the header says so. Now that its node definitions are
            # known, a generation is stored at once (pending, not sent) and posted on the reconnect.
            server.stop()
            server = None
            await wait_for(pilot, lambda: "Connected" not in screen.header.text, timeout=15, what="the drop")
            await pilot.press("ctrl+j")
            stored = await wait_for(pilot, lambda: len(cards(screen)) == 2 and cards(screen)[1], what="the stored pending card")
            assert not stored.local and stored.generation.status == "pending" and stored.generation.prompt_id is None
            progress = await wait_for(pilot, lambda: stored.progress, what="its waiting line")
            assert "waiting for the server" in progress.text
            server = start_on(port, tmp_path)
            await wait_for(pilot, lambda: "Connected" in screen.header.text, timeout=40, what="the second reconnect")
            await wait_for_status(pilot, screen, ["completed", "completed"], timeout=15)
    finally:
        if server is not None:
            server.stop()


async def test_a_local_request_can_be_cancelled(make_app, free_url) -> None:
    url, _port = free_url
    app = make_app(server_url=url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, connected=False)
        await pilot.press(*"never", "ctrl+j")
        await wait_for(pilot, lambda: len(cards(screen)) == 1, what="the local card")
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: cards(screen) == [], what="the local card gone")
        assert screen.header.queue_length == 0
