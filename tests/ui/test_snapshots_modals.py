"""Snapshots of engineer B's screens: import (after a preview), JSON viewer, help, parameter panel at 80 columns.

Update with ``pytest tests/ui/test_snapshots_modals.py --snapshot-update`` after checking the change by eye.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sftui.ui.screens.import_workflow import ImportWorkflowScreen
from sftui.ui.screens.json_viewer import JsonViewerScreen
from sftui.ui.widgets.parameter_panel import ParameterPanel
from sftui.workflows.extract import extract_parameters
from sftui.workflows.options import build_options
from tests.ui.modal_host import ModalHost, no_blink, paste, wait_until
from tests.ui.test_parameter_panel import CHECKPOINTS, LORAS, PROMPT, STORED

SERVER = "http://comfy.example:8188"


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict[str, Any]:
    info = json.loads((reference_dir / "object_info.json").read_text(encoding="utf-8"))
    info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = list(CHECKPOINTS)
    info["LoraLoader"]["input"]["required"]["lora_name"][0] = list(LORAS)
    return info


def test_import_modal_after_a_preview(snap_compare, reference_dir: Path, object_info: dict[str, Any]) -> None:
    text = (reference_dir / "workflow_ksampler_api.json").read_text(encoding="utf-8")

    async def loader() -> dict[str, Any]:
        return object_info

    app = ModalHost()

    async def run_before(pilot: Any) -> None:
        app.open(ImportWorkflowScreen(server_url=SERVER, object_info_loader=loader))
        await pilot.pause()
        await pilot.press("tab")
        await paste(pilot, text)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.screen.preview is not None, what="the preview")
        await pilot.press("tab", "tab")  # the name field, so the footer shows the modal's keys
        no_blink(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 36), run_before=run_before)


def test_json_modal(snap_compare, reference_dir: Path) -> None:
    text = json.dumps(json.loads((reference_dir / "workflow_ksampler_api.json").read_text(encoding="utf-8")), indent=2)
    app = ModalHost()

    async def run_before(pilot: Any) -> None:
        app.open(JsonViewerScreen("Generation 3 · API prompt", text, editable=True, validate=lambda _: None))
        await pilot.pause()
        no_blink(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def _panel_host(object_info: dict[str, Any]) -> ModalHost:
    app = ModalHost(lambda: iter([ParameterPanel(id="parameters")]))
    app.panel_setup = (build_options(object_info), extract_parameters(copy.deepcopy(PROMPT), object_info))  # type: ignore[attr-defined]
    return app


async def _fill_panel(pilot: Any) -> ParameterPanel:
    panel = pilot.app.query_one(ParameterPanel)
    panel.options, panel.workflow_parameters = pilot.app.panel_setup
    panel.load(STORED)
    await pilot.pause()
    return panel


def test_help_screen(snap_compare, object_info: dict[str, Any]) -> None:
    app = _panel_host(object_info)

    async def run_before(pilot: Any) -> None:
        panel = await _fill_panel(pilot)
        panel.numbers["steps"].focus()
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        no_blink(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_parameter_panel_at_80_columns(snap_compare, object_info: dict[str, Any]) -> None:
    app = _panel_host(object_info)

    async def run_before(pilot: Any) -> None:
        panel = await _fill_panel(pilot)
        panel.numbers["steps"].focus()
        await pilot.press("ctrl+u", "0")
        no_blink(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
