"""The app keeps its long-lived heap out of full GC passes while it runs (see ``settle_heap``)."""

from __future__ import annotations

import gc
from typing import Any

from sftui.ui import messages as msg
from tests.ui.conftest import ready


def collected(obj: Any) -> bool:
    """Whether full collections still walk ``obj`` (``gc.get_objects`` leaves frozen ones out)."""
    return any(tracked is obj for tracked in gc.get_objects())


async def test_the_heap_is_settled_when_the_app_is_up_and_when_the_first_generation_starts(offline_app: Any) -> None:
    app = offline_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        assert not collected(app.screen)
        loaded_later = {"node definitions": ["read after the first frame"]}
        assert collected(loaded_later)
        app.screen.post_message(msg.GenerationStarted("generation", "session"))  # bubbles up to the app
        await pilot.pause()
        assert not collected(loaded_later)
        made_while_streaming = {"frame": ["of a stream"]}
        app.screen.post_message(msg.GenerationStarted("another", "session"))
        await pilot.pause()
        assert collected(made_while_streaming), "only the first start settles the heap"
    assert gc.get_freeze_count() == 0, "an app that has exited leaves the collector as it found it"


async def test_full_collections_wait_for_the_user_to_pause(offline_app: Any) -> None:
    from sftui.ui.heap import THRESHOLD2

    before = gc.get_threshold()
    app = offline_app()
    async with app.run_test() as pilot:
        screen = await ready(pilot)
        assert gc.get_threshold()[2] == THRESHOLD2
        quiet_since = app.heap._last_input
        screen.prompt_area.focus_prompt()
        await pilot.press("x")
        assert app.heap._last_input > quiet_since  # a key counts as the user doing something
    assert gc.get_threshold() == before
