"""The import modal: pasted JSON, a UI-format file, a ComfyUI PNG, and errors that save nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Checkbox, Input, Static, TextArea

from sftui.db import list_workflows, open_database
from sftui.errors import ServerUnreachable
from sftui.ui.screens.import_workflow import ImportWorkflowScreen
from sftui.ui.widgets.workflow_preview import WorkflowPreview
from tests.ui.modal_host import NO_RESULT, ModalHost, paste, wait_until

SERVER = "http://127.0.0.1:8188"
SIZE = (100, 40)


class Loader:
    """The object_info loader the app would pass: the reference capture, or a failure."""

    def __init__(self, info: dict[str, Any] | None, error: Exception | None = None) -> None:
        self.info = info
        self.error = error
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        assert self.info is not None
        return self.info


@pytest.fixture
def object_info(reference_dir: Path) -> dict[str, Any]:
    return json.loads((reference_dir / "object_info.json").read_text(encoding="utf-8"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "sftui.db"
    open_database(path)
    return path


def status(app: ModalHost) -> str:
    return str(app.screen.query_one("#import-status", Static).render())


def preview_text(app: ModalHost) -> str:
    return str(app.screen.query_one(WorkflowPreview).render())


async def read(pilot: Any, app: ModalHost, *, outcome: str = "✓") -> str:
    text = await wait_until(pilot, lambda: status(app).startswith(("✓", "✗")) and status(app), what="the import preview")
    assert text.startswith(outcome), text
    return text


async def saved_workflow(pilot: Any, app: ModalHost) -> Any:
    """Wait for the modal to close with the saved workflow; fail with the inline error if saving failed."""
    await wait_until(pilot, lambda: app.result is not NO_RESULT or status(app).startswith("✗ not saved"), what="the saved workflow")
    assert app.result is not NO_RESULT, status(app)
    await app.workers.wait_for_complete()
    return app.result


async def open_import(pilot: Any, app: ModalHost, loader: Loader) -> ImportWorkflowScreen:
    screen = ImportWorkflowScreen(server_url=SERVER, object_info_loader=loader)
    app.open(screen)
    await pilot.pause()
    return screen


async def test_import_pasted_api_json(db: Path, reference_dir: Path, object_info: dict[str, Any]) -> None:
    text = (reference_dir / "workflow_ksampler_api.json").read_text(encoding="utf-8")
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        await open_import(pilot, app, Loader(object_info))
        await pilot.press("tab")
        assert isinstance(app.screen.focused, TextArea)
        await paste(pilot, text)
        await pilot.press("f5")
        await read(pilot, app)
        shown = preview_text(app)
        assert "Detected: API format → saved as api · 7 nodes" in shown
        assert "Seed 42" in shown and "Steps 4" in shown
        assert "SaveImage (node 7)" in shown and "filename_prefix = ref_ksampler" in shown
        assert app.screen.query_one("#import-name", Input).value == "Imported workflow"
        await pilot.press("ctrl+s")
        saved = await saved_workflow(pilot, app)

    assert saved.name == "Imported workflow" and saved.source_format == "api" and not saved.is_default
    assert json.loads(saved.workflow_json) == json.loads(text)
    assert {p.field for p in saved.extracted_parameters} >= {"seed", "steps", "filename_prefix"}
    assert [w.id for w in list_workflows()] == [saved.id]


async def test_import_ui_file_converts_with_object_info_and_sets_default(db: Path, reference_dir: Path, tmp_path: Path, object_info: dict[str, Any]) -> None:
    source = tmp_path / "image_sdxl_simple.ui.json"
    shutil.copy(reference_dir / "conversion-examples" / "image_sdxl_simple.ui.json", source)
    expected = json.loads((reference_dir / "conversion-examples" / "image_sdxl_simple.api.json").read_text(encoding="utf-8"))
    loader = Loader(object_info)
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        await open_import(pilot, app, loader)
        await paste(pilot, str(source))
        await pilot.press("enter")
        await read(pilot, app)
        assert loader.calls == 1
        assert "Detected: UI format (litegraph) → saved as ui" in preview_text(app)
        assert "Warnings (" in preview_text(app), "the checkpoint the server lacks is reported before saving"
        assert app.screen.query_one("#import-name", Input).value == "image_sdxl_simple.ui"
        for _ in range(12):
            if isinstance(app.screen.focused, Checkbox):
                break
            await pilot.press("tab")
        assert isinstance(app.screen.focused, Checkbox)
        await pilot.press("space", "ctrl+s")
        saved = await saved_workflow(pilot, app)

    assert saved.is_default and saved.source_format == "ui" and saved.workflow_ui_json
    prompt = json.loads(saved.workflow_json)
    assert set(prompt) == set(expected)
    assert {node["class_type"] for node in prompt.values()} == {node["class_type"] for node in expected.values()}
    assert [w.is_default for w in list_workflows()] == [True]


async def test_import_comfyui_png(db: Path, reference_dir: Path, object_info: dict[str, Any]) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        await open_import(pilot, app, Loader(object_info))
        await paste(pilot, str(reference_dir / "ksampler_output.png"))
        await pilot.press("f5")
        await read(pilot, app)
        assert "Detected: ComfyUI PNG" in preview_text(app)
        assert app.screen.query_one("#import-name", Input).value == "ksampler_output"
        await pilot.press("ctrl+s")
        saved = await saved_workflow(pilot, app)

    classes = {node["class_type"] for node in json.loads(saved.workflow_json).values()}
    assert {"KSampler", "CheckpointLoaderSimple", "SaveImage"} <= classes
    assert len(list_workflows()) == 1


async def test_ui_format_needs_node_definitions(db: Path, reference_dir: Path, object_info: dict[str, Any]) -> None:
    loader = Loader(None, ServerUnreachable(f"cannot reach {SERVER}: connection refused"))
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        await open_import(pilot, app, loader)
        await paste(pilot, str(reference_dir / "conversion-examples" / "image_sdxl_simple.ui.json"))
        await pilot.press("enter")
        text = await read(pilot, app, outcome="✗")
        assert "needs the node definitions of http://127.0.0.1:8188" in text and "connection refused" in text
        assert app.screen.query_one("#import-save", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is NO_RESULT

        # An API prompt does not need them: it is read, with a warning that validation was partial.
        await pilot.press("ctrl+u")
        await paste(pilot, str(reference_dir / "workflow_model_free_api.json"))
        await pilot.press("enter")
        await read(pilot, app)
        assert "node definitions unavailable" in preview_text(app)
    assert list_workflows() == []


@pytest.mark.parametrize(
    ("where", "text", "message"),
    [
        ("paste", "{not json", "invalid JSON in <pasted text> at line 1"),
        ("paste", '{"a": 1}', "is not a ComfyUI workflow"),
        ("path", "/nonexistent/flow.json", "workflow file /nonexistent/flow.json does not exist"),
        ("path", "", "nothing to read"),
    ],
)
async def test_errors_show_inline_and_save_nothing(db: Path, object_info: dict[str, Any], where: str, text: str, message: str) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        await open_import(pilot, app, Loader(object_info))
        if where == "paste":
            await pilot.press("tab")
        if text:
            await paste(pilot, text)
        await pilot.press("f5")
        shown = await read(pilot, app, outcome="✗")
        assert message in shown and "\n" not in shown
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, ImportWorkflowScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
    assert list_workflows() == []


async def test_changing_the_input_after_a_preview_requires_reading_again(db: Path, reference_dir: Path, object_info: dict[str, Any]) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        await open_import(pilot, app, Loader(object_info))
        await paste(pilot, str(reference_dir / "workflow_model_free_api.json"))
        await pilot.press("enter")
        await read(pilot, app)
        assert not app.screen.query_one("#import-save", Button).disabled
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.query_one("#import-save", Button).disabled
        assert "press F5" in status(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is NO_RESULT
    assert list_workflows() == []


async def test_a1111_infotext_preview_shows_its_parameters(db: Path, object_info: dict[str, Any]) -> None:
    infotext = (
        "a photo of a cat\n"
        "Negative prompt: blurry\n"
        "Steps: 24, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234, Size: 512x768, Model: sd_xl_base_1.0"
    )
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        await open_import(pilot, app, Loader(object_info))
        await pilot.press("tab")
        await paste(pilot, infotext)
        await pilot.press("f5")
        await read(pilot, app)
        shown = preview_text(app)
        assert "Detected: A1111 infotext → saved as a1111" in shown
        assert "Default parameters (from the A1111 infotext)" in shown
        assert "steps 24" in shown and "sampler_name dpmpp_2m" in shown and "scheduler karras" in shown
        assert "Seed 1234" in shown and "Width 512" in shown and "Height 768" in shown, "applied to the built-in workflow"
        assert app.screen.preview.default_parameters["seed"] == 1234
    assert list_workflows() == []
