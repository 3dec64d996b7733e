"""Generate from the keyboard against the simulator: parameters, progress, the completed card, batches."""

from __future__ import annotations

import json

import pytest

from sftui.db import get_session
from sftui.ui import messages as msg
from sftui.ui.widgets.image_thumb import ImageThumb
from tests.ui.conftest import cards, ready, wait_for, wait_for_status


@pytest.fixture
def simulator(tmp_path):
    """Slow enough (about a second per image) to watch progress and previews."""
    from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

    sim = SimulatorThread(SimulatorConfig(step_delay=0.04, node_delay=0.005, output_dir=tmp_path / "sim-out"))
    sim.start()
    yield sim
    sim.stop()


async def set_number(pilot, selector: str, text: str) -> None:
    await pilot.click(selector)
    await pilot.press("home", "ctrl+k", *text)


def watch_running_cards(app, seen: list, shown: list):
    """A message hook noting, as progress arrives, what the running card shows."""

    def hook(message) -> None:
        seen.append(message)
        if isinstance(message, (msg.GenerationProgress, msg.GenerationPreview)):
            card = app.screen.timeline.card_for(message.generation_id)
            progress = card.progress if card is not None else None
            if progress is not None:
                thumb = progress.query(ImageThumb)
                shown.append((card.generation.status, progress.percent, progress.current_node, progress.step, bool(thumb) and thumb.first().has_image))

    return hook


async def test_first_run_generates_from_the_prompt_with_edited_parameters(make_app) -> None:
    seen: list = []
    shown: list = []
    app = make_app()
    async with app.run_test(size=(120, 40), message_hook=watch_running_cards(app, seen, shown)) as pilot:
        screen = await ready(pilot)
        assert screen.session_id is None
        assert app.focused is screen.prompt_area.prompt  # typing goes straight into the prompt
        await pilot.press(*"lighthouse")
        await set_number(pilot, "#param-steps", "12")
        await pilot.press("ctrl+j")
        [card] = await wait_for_status(pilot, screen, ["completed"])

        # While it ran, the card showed a growing bar, the node, and a live preview frame.
        assert any(status == "running" and percent > 50 and node for status, percent, node, _, _ in shown), shown[-5:]
        # ... and the sampler's steps, as the server reported them (12 set above).
        assert any(step is not None and step[1] == 12 for *_, step, _ in shown), shown[-5:]
        assert any(has_preview for *_, has_preview in shown)

        gen = card.generation
        assert gen.prompt_text == "lighthouse"
        assert gen.steps == 12
        summary = await wait_for(pilot, lambda: card.query_one(".card-summary").render().plain, what="the summary line")
        assert f"seed {gen.seed} · 12 steps · cfg 7.0 · 1024×1024 · euler/normal" in summary
        thumbs = await wait_for(pilot, lambda: list(card.query(".card-images ImageThumb")), what="the card's thumbnail")
        assert len(thumbs) == 1
        await wait_for(pilot, lambda: thumbs[0].has_image, what="the thumbnail")

        # Progress arrived as coalescible messages; the session was created for the first prompt.
        progress_messages = [m for m in seen if isinstance(m, msg.GenerationProgress)]
        assert progress_messages and max(m.percent for m in progress_messages) > 50
        assert progress_messages[0].can_replace(msg.GenerationProgress(gen.id, 99.0, "KSampler"))
        assert not progress_messages[0].can_replace(msg.GenerationProgress("another", 99.0, "KSampler"))
        assert screen.session_id == gen.session_id
        assert [s.id for s in screen.sidebar.sessions] == [gen.session_id]
        assert screen.header.queue_length == 0
        # The card's image is the file the runner stored beside the database.
        assert thumbs[0].path is not None and thumbs[0].path.is_file()


async def test_batch_count_and_batch_size(make_app, simulator) -> None:
    app = make_app(images="unicode")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"moons")
        await set_number(pilot, "#param-count", "2")
        await set_number(pilot, "#param-batch_size", "2")
        await set_number(pilot, "#param-steps", "3")
        await pilot.press("ctrl+j")
        first, second = await wait_for_status(pilot, screen, ["completed", "completed"], timeout=20)
        assert first.generation.seed + 1 == second.generation.seed  # consecutive seeds, in order
        for card in (first, second):
            assert card.generation.batch_size == 2
            # One thumbnail per image of the batch.
            await wait_for(pilot, lambda: len(card.query(".card-images ImageThumb")) == 2, what="two thumbnails")
        detail = get_session(screen.session_id)
        assert detail.total_generations == 2
        assert json.loads(detail.generations[0].workflow_json_snapshot)


async def test_empty_prompt_and_refused_parameter_do_not_generate(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+j")
        await pilot.pause(0.2)
        assert cards(screen) == []
        assert any("Type a prompt" in str(n.message) for n in app._notifications)

        await pilot.press(*"x")
        await set_number(pilot, "#param-steps", "0")
        await pilot.press("ctrl+j")
        await pilot.pause(0.2)
        assert cards(screen) == []
        assert screen.session_id is None
        assert any(n.severity == "error" for n in app._notifications)
