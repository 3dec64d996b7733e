"""A completed card's actions, by keys: reuse settings, copy seed, view and save JSON, open and zoom the image."""

from __future__ import annotations

import json

from sftui.ui.widgets.generation_card import GenerationCard
from tests.ui.conftest import ready, wait_for, wait_for_status


async def generate_one(pilot, screen, prompt: str = "fox") -> GenerationCard:
    await pilot.press(*prompt)
    await pilot.click("#param-steps")
    await pilot.press("home", "ctrl+k", "5")
    await pilot.press("ctrl+j")
    [card] = await wait_for_status(pilot, screen, ["completed"])
    await wait_for(pilot, lambda: card.query(".card-images ImageThumb"), what="the card's image")
    return card


async def test_copy_seed_reuse_settings_and_keys_between_cards(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        card = await generate_one(pilot, screen)
        gen = card.generation

        # The form changes: another prompt, negative and step count.
        screen.prompt_area.set_texts("something else", "ugly")
        await pilot.click("#param-steps")
        await pilot.press("home", "ctrl+k", *"33")
        assert screen.panel.collect()["steps"] == 33

        await pilot.click("#prompt")
        await pilot.press("shift+tab")  # from the prompt back into the history: the newest card
        assert app.focused is card

        await pilot.press("s")
        assert app.clipboard == str(gen.seed)

        await pilot.press("r")
        await wait_for(pilot, lambda: screen.panel.collect()["steps"] == 5, what="the reused parameters")
        form = screen.panel.collect()
        stored = gen.parameters.model_dump(mode="json")
        for key in ("width", "height", "steps", "cfg_scale", "seed", "sampler_name", "scheduler", "batch_size", "checkpoint_name"):
            assert form[key] == stored[key], key
        assert screen.prompt_area.prompt_text == "fox"
        assert screen.prompt_area.negative_text is None
        assert app.focused is screen.prompt_area.prompt
        assert screen.workflow_bar.selected_id == gen.workflow_id

        # Generate again with the reused settings: the same seed reproduces the same picture.
        await pilot.press("ctrl+j")
        first, second = await wait_for_status(pilot, screen, ["completed", "completed"])
        assert second.generation.seed == gen.seed
        assert second.generation.parameters == gen.parameters

        # j/k (and up/down) move between cards.
        second.focus()
        await pilot.press("k")
        assert app.focused is first
        await pilot.press("down")
        assert app.focused is second


async def test_view_and_save_json_then_open_and_zoom_the_image(make_app, tmp_path, monkeypatch) -> None:
    from sftui.ui.screens.image_preview import ImagePreviewScreen
    from sftui.ui.screens.json_viewer import JsonViewerScreen

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        card = await generate_one(pilot, screen)
        card.focus()

        await pilot.press("v")
        viewer = await wait_for(pilot, lambda: isinstance(app.screen, JsonViewerScreen) and app.screen, what="the JSON viewer")
        assert json.loads(viewer.current_text) == json.loads(card.generation.workflow_json_snapshot)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        await pilot.press("enter")  # accept the suggested file name
        saved = tmp_path / f"generation-{card.generation.id[:8]}.json"
        await wait_for(pilot, saved.is_file, what="the saved JSON")
        assert json.loads(saved.read_text()) == json.loads(card.generation.workflow_json_snapshot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the main screen")
        assert app.focused is card  # the focus the user had comes back

        await pilot.press("enter")
        preview = await wait_for(pilot, lambda: isinstance(app.screen, ImagePreviewScreen) and app.screen, what="the preview")
        assert preview.paths == [screen.timeline.card_for(card.generation.id).query_one(".card-images ImageThumb").path]
        await pilot.press("plus")
        assert preview.viewer.zoom > 1
        await pilot.press("0")
        assert preview.viewer.zoom == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the main screen")
