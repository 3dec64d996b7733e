"""Quit and start again on the same database: sessions, cards, images, draft and panel state are back."""

from __future__ import annotations

from tests.ui.conftest import cards, ready, wait_for, wait_for_status


async def test_restart_finds_everything_where_it_was(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"dunes")
        await pilot.click("#param-steps")
        await pilot.press("home", "ctrl+k", "4")
        await pilot.press("ctrl+j")
        [card] = await wait_for_status(pilot, screen, ["completed"])
        generation = card.generation
        session_id = screen.session_id

        # An unsent draft: new prompt, a negative, other steps, the panel hidden.
        screen.prompt_area.set_texts("next idea", "blurry")
        await pilot.click("#param-steps")
        await pilot.press("home", "ctrl+k", "9")
        await pilot.press("ctrl+e")
        assert screen.panel.display is False
        await pilot.press("ctrl+q")
    assert app.return_code in (None, 0)

    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.session_id == session_id
        [card] = await wait_for(pilot, lambda: len(cards(screen)) == 1 and cards(screen), what="the stored card")
        assert card.generation.id == generation.id
        assert card.generation.status == "completed"
        thumb = await wait_for(pilot, lambda: card.query(".card-images ImageThumb").first(), what="its image")
        await wait_for(pilot, lambda: thumb.has_image, what="the thumbnail")
        await wait_for(pilot, lambda: screen.prompt_area.prompt_text == "next idea", what="the draft")
        assert screen.prompt_area.negative_text == "blurry"
        await wait_for(pilot, lambda: screen.panel.collect()["steps"] == 9, what="the draft's parameters")
        assert screen.panel.display is False
        assert [s.id for s in screen.sidebar.sessions] == [session_id]
        assert again.focused is screen.prompt_area.prompt


async def test_a_generation_left_running_at_quit_is_recovered_on_the_next_start(make_app, tmp_path) -> None:
    from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

    slow = SimulatorThread(SimulatorConfig(step_delay=0.1, node_delay=0.005, output_dir=tmp_path / "slow-out"))
    slow.start()
    try:
        app = make_app(server_url=slow.url)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await ready(pilot)
            await pilot.press(*"long", "ctrl+j")
            [card] = await wait_for_status(pilot, screen, ["running"])
            generation_id = card.generation.id
            await pilot.press("ctrl+q")  # quit while the server still works on it

        again = make_app(server_url=slow.url)
        async with again.run_test(size=(120, 40)) as pilot:
            screen = await ready(pilot)
            [card] = await wait_for_status(pilot, screen, ["completed"], timeout=20)
            assert card.generation.id == generation_id
            await wait_for(pilot, lambda: any("earlier run" in str(n.message) for n in again._notifications), what="the recovery notice")
    finally:
        slow.stop()
