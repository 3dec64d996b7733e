"""The workflow bar: import (ctrl+o), select, generate with it, set default, edit JSON, delete."""

from __future__ import annotations

import json

from textual.widgets import Select

from sftui.db import get_session_summary, get_workflow, list_workflows
from sftui.ui.screens.confirm import ConfirmScreen
from sftui.ui.screens.import_workflow import ImportWorkflowScreen
from sftui.ui.screens.json_viewer import JsonViewerScreen
from sftui.workflows.defaults import default_workflow
from tests.ui.conftest import ready, wait_for, wait_for_status


def workflow_file(tmp_path, name: str, steps: int) -> str:
    prompt = default_workflow()
    for node in prompt.values():
        if node["class_type"] == "KSampler":
            node["inputs"]["steps"] = steps
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(prompt))
    return str(path)


async def import_file(pilot, path: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+o")
    dialog = await wait_for(pilot, lambda: isinstance(app.screen, ImportWorkflowScreen) and app.screen, what="the import dialog")
    dialog.query_one("#import-path").insert_text_at_cursor(path)  # as a paste puts it there
    await pilot.press("enter")
    await wait_for(pilot, lambda: dialog.preview is not None, what="the import preview")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: not isinstance(app.screen, ImportWorkflowScreen), what="the import saved")


async def test_import_select_generate_and_set_default(make_app, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        bar = screen.workflow_bar
        assert bar.selected_id is None  # nothing saved yet: the built-in workflow

        await import_file(pilot, workflow_file(tmp_path, "eight-steps", 8))
        eight = await wait_for(pilot, lambda: bar.selected_id and get_workflow(bar.selected_id), what="the imported workflow selected")
        assert eight.name == "eight-steps"
        await wait_for(pilot, lambda: screen.panel.collect().get("steps") == 8, what="its values in the form")

        await pilot.press(*"with a workflow", "ctrl+j")
        [card] = await wait_for_status(pilot, screen, ["completed"])
        assert card.generation.workflow_id == eight.id
        assert card.generation.steps == 8
        assert get_session_summary(screen.session_id).current_workflow_id == eight.id

        await import_file(pilot, workflow_file(tmp_path, "three-steps", 3))
        three = await wait_for(pilot, lambda: bar.selected_id != eight.id and get_workflow(bar.selected_id), what="the second workflow")
        assert three.name == "three-steps"
        await wait_for(pilot, lambda: get_session_summary(screen.session_id).current_workflow_id == three.id, what="the session's workflow")

        # Select the first one again with the keyboard, in the selector.
        select = screen.query_one("#workflow-select", Select)
        select.focus()
        await pilot.press("enter")
        await pilot.pause(0.1)
        options = [value for _label, value in select._options]
        steps = options.index(three.id) - options.index(eight.id)  # the list opens on the current one
        await pilot.press(*(["up"] * steps), "enter")
        await wait_for(pilot, lambda: bar.selected_id == eight.id, what="the first workflow selected again")
        await wait_for(pilot, lambda: get_session_summary(screen.session_id).current_workflow_id == eight.id, what="the session following")

        # Set it as the default (the ★ button); the list shows it first with its star and count.
        await pilot.click("#workflow-default")
        await wait_for(pilot, lambda: get_workflow(eight.id).is_default, what="the default flag")
        await wait_for(pilot, lambda: bar.workflows and bar.workflows[0].id == eight.id, what="the default first")
        label = select._options[0][0]
        assert label.plain.startswith("★ eight-steps") and "1 gen" in label.plain


async def test_edit_json_validates_then_saves_and_delete_asks_first(make_app, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await import_file(pilot, workflow_file(tmp_path, "editable", 8))
        workflow = await wait_for(pilot, lambda: screen.workflow_bar.selected_id and get_workflow(screen.workflow_bar.selected_id), what="the workflow")

        await pilot.click("#workflow-edit")
        editor = await wait_for(pilot, lambda: isinstance(app.screen, JsonViewerScreen) and app.screen, what="the editor")
        assert json.loads(editor.current_text) == json.loads(workflow.workflow_json)
        area = editor.query_one("#json-text")
        area.load_text('{"1": {"inputs": {}}}')  # no class_type: refused inline
        await pilot.press("f10")
        await pilot.pause(0.1)
        assert app.screen is editor
        assert "class_type" in editor.query_one("#json-error").render().plain

        edited = json.loads(workflow.workflow_json)
        for node in edited.values():
            if node["class_type"] == "KSampler":
                node["inputs"]["steps"] = 13
        area.load_text(json.dumps(edited, indent=2))
        await pilot.press("f10")
        await wait_for(pilot, lambda: app.screen is screen, what="the editor closed")
        await wait_for(pilot, lambda: json.loads(get_workflow(workflow.id).workflow_json) == edited, what="the edit saved")
        steps = next(p for p in get_workflow(workflow.id).extracted_parameters if p.model_dump().get("key") == "steps")
        assert steps.value == 13  # parameters were extracted again

        await pilot.click("#workflow-delete")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="the confirmation")
        assert "editable" in dialog.message_text
        await pilot.press("y")
        await wait_for(pilot, lambda: list_workflows() == [], what="the deletion")
        await wait_for(pilot, lambda: screen.workflow_bar.selected_id is None, what="back to the built-in workflow")
