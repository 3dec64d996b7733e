"""Opening another session updates the parameter panel and the sidebar in place.

Two sessions on the built-in workflow differ only in their drafts: switching between them
must show each one's values with the very same widgets (mounting is what makes a switch
slow). A session on another workflow still gets that workflow's own fields.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sftui.db import create_workflow
from sftui.workflows.extract import extract_parameters
from tests.ui.conftest import ready, screen_text, shipped_object_info, wait_for
from tests.ui.test_parameter_panel import PROMPT

ALPHA = {"steps": 31, "cfg_scale": 4.5, "sampler_name": "heun", "seed": 11, "9.filename_prefix": "alpha",
         "loras": [{"name": "detail_tweaker_xl.safetensors", "strength_model": 0.5, "strength_clip": 0.25}]}
BETA = {"steps": 12, "cfg_scale": 6.0, "sampler_name": "dpm_2", "seed": 22, "9.filename_prefix": "beta", "loras": []}


def shows(screen: Any, wanted: dict[str, Any]) -> bool:
    values = screen.panel.collect()
    return all(values.get(key) == value for key, value in wanted.items())


async def open_from_sidebar(pilot: Any, screen: Any, session_id: str, wanted: dict[str, Any] | None = None) -> None:
    screen.sidebar.focus()
    screen.sidebar.highlighted = screen.sidebar.get_option_index(session_id)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.session_id == session_id, what="the session open")
    if wanted is not None:
        await wait_for(pilot, lambda: shows(screen, wanted), what=f"its parameters {wanted}")


async def test_sessions_on_one_workflow_swap_values_not_widgets(offline_app, seeder) -> None:
    prompt = copy.deepcopy(PROMPT)
    other = create_workflow(name="advanced", workflow_json=json.dumps(prompt),
                            extracted_parameters=extract_parameters(prompt, shipped_object_info()))
    advanced = seeder.session("Advanced", current_workflow_id=other.id)
    seeder.tick()
    alpha = seeder.session("Alpha", draft={"prompt": "a", "parameters": ALPHA})
    seeder.tick()
    beta = seeder.session("Beta", draft={"prompt": "b", "parameters": BETA})  # the most recent: it opens first
    app = offline_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: shows(screen, BETA), what="Beta's draft in the form")
        await open_from_sidebar(pilot, screen, alpha.id, ALPHA)
        panel_widgets = list(screen.panel.walk_children())
        options = list(screen.sidebar.options)

        for session, wanted, sampler in ((beta, BETA, "dpm_2"), (alpha, ALPHA, "heun")):
            await open_from_sidebar(pilot, screen, session.id, wanted)
            await pilot.pause()
            assert list(screen.panel.walk_children()) == panel_widgets, "the same widgets show the other session's values"
            assert screen.panel.collect()["loras"] == wanted["loras"]
            rows = screen_text(app).splitlines()
            assert sampler in next(row for row in rows if "Sampler" in row)
            assert wanted["9.filename_prefix"] in next(row for row in rows if "filename_prefix" in row)
            # The sidebar keeps its options; only the marker of the open session moves.
            assert list(screen.sidebar.options) == options
            marked = [o.id for o in screen.sidebar.options if o.prompt.plain.startswith("●")]
            assert marked == [session.id]

        # Another workflow brings its own fields, and going back brings the built-in ones.
        await open_from_sidebar(pilot, screen, advanced.id)
        await wait_for(pilot, lambda: "5.add_noise" in screen.panel.custom.keys, what="the advanced workflow's fields")
        assert "9.filename_prefix" not in screen.panel.custom.keys
        assert "KSamplerAdvanced · node 5" in screen_text(app)
        await open_from_sidebar(pilot, screen, alpha.id, ALPHA)
        assert screen.panel.custom.keys == ["9.filename_prefix"]
        assert "KSamplerAdvanced" not in screen_text(app)


async def test_a_session_on_the_workflow_shown_has_its_values_before_the_workflow_is_read_again(offline_app, seeder) -> None:
    import threading

    alpha = seeder.session("Alpha", draft={"prompt": "a", "parameters": ALPHA})
    seeder.tick()
    seeder.session("Beta", draft={"prompt": "b", "parameters": BETA})
    app = offline_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: shows(screen, BETA), what="Beta's draft in the form")
        gate = threading.Event()
        read = app.backend.builtin_parameters

        def held(*args: Any, **kwargs: Any) -> Any:
            gate.wait(30)
            return read(*args, **kwargs)

        app.backend.builtin_parameters = held
        try:
            await open_from_sidebar(pilot, screen, alpha.id)
            # The workflow's parameters are held back: what the form shows came with the session.
            await wait_for(pilot, lambda: shows(screen, ALPHA), timeout=5, what="Alpha's draft before its workflow")
        finally:
            gate.set()
        await pilot.pause(0.2)
        assert shows(screen, ALPHA), "the workflow read again shows the same values"
