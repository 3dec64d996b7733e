"""The parameter panel: Reuse Settings round trip, inline refusals, seed, LoRAs, keyboard, 80 columns."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Select

from sftui.errors import ParameterError
from sftui.ui.widgets.parameter_field import ParameterField
from sftui.ui.widgets.parameter_panel import ParameterPanel
from sftui.workflows.apply import SEED_LIMIT
from sftui.workflows.extract import extract_parameters
from sftui.workflows.options import build_options
from tests.ui.modal_host import ModalHost, paste, screen_text, wait_until

CHECKPOINTS = ["sd_xl_base_1.0.safetensors", "[v1-5] pruned.safetensors"]
LORAS = ["detail_tweaker_xl.safetensors", "add_brightness.safetensors"]

PROMPT = {
    "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["1", 1]}},
    "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["1", 1]}},
    "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 1}},
    "5": {"class_type": "KSamplerAdvanced", "inputs": {
        "add_noise": "enable", "noise_seed": 5, "steps": 20, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal",
        "start_at_step": 0, "end_at_step": 10000, "return_with_leftover_noise": "disable",
        "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["4", 0]}},
    "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
    "7": {"class_type": "SaveImage", "inputs": {"filename_prefix": "sftui", "images": ["6", 0]}},
    "8": {"class_type": "PrimitiveBoolean", "inputs": {"value": True}},
}

STORED = {
    "width": 832, "height": 1216, "batch_size": 2, "steps": 30, "cfg_scale": 6.5, "sampler_name": "dpmpp_2m",
    "scheduler": "karras", "seed": 123456789, "checkpoint_name": "[v1-5] pruned.safetensors",
    "loras": [
        {"name": "detail_tweaker_xl.safetensors", "strength_model": 0.6, "strength_clip": 0.4},
        {"name": "removed_since.safetensors", "strength_model": 1.0, "strength_clip": -0.5},
    ],
    "5.add_noise": "disable", "5.start_at_step": 3, "5.end_at_step": 25, "5.return_with_leftover_noise": "enable",
    "7.filename_prefix": "cats [night]", "8.value": False, "count": 3,
}


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict[str, Any]:
    info = json.loads((reference_dir / "object_info.json").read_text(encoding="utf-8"))
    # The capture's server had no models; give it some, in both places the UI reads them.
    info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = list(CHECKPOINTS)
    info["LoraLoader"]["input"]["required"]["lora_name"][0] = list(LORAS)
    return info


@pytest.fixture
def params(object_info: dict[str, Any]) -> list[dict[str, Any]]:
    return extract_parameters(copy.deepcopy(PROMPT), object_info)


@pytest.fixture
def options(object_info: dict[str, Any]) -> dict[str, Any]:
    return build_options(object_info)


def host() -> ModalHost:
    return ModalHost(lambda: iter([ParameterPanel(id="parameters")]))


async def ready(pilot: Any, options: dict[str, Any], params: list[dict[str, Any]]) -> ParameterPanel:
    panel = pilot.app.query_one(ParameterPanel)
    panel.options = options
    panel.workflow_parameters = params
    await pilot.pause()
    return panel


def changes(messages: list[Any]) -> list[dict[str, Any]]:
    return [m.values for m in messages if isinstance(m, ParameterPanel.Changed)]


async def test_load_then_collect_round_trips_every_parameter(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    messages: list[Any] = []
    app = host()
    async with app.run_test(size=(100, 50), message_hook=messages.append) as pilot:
        panel = await ready(pilot, options, params)
        panel.load(STORED)
        await pilot.pause()
        assert panel.collect() == STORED
        assert panel.values == STORED
        text = screen_text(app)
        assert "832×1216 2:3 Portrait" in text, "a size matching a preset selects it"
        assert "removed_since.safetensors (not on server)" in text
        assert "[v1-5] pruned.safetensors" in text, "file names are shown literally"
        assert changes(messages) == [], "loading is not a user edit"

        # UI-format graphs store some INT widgets as floats (4.0): an integer field takes them as 4.
        panel.load({"5.start_at_step": 4.0})
        await pilot.pause()
        assert panel.collect()["5.start_at_step"] == 4 and isinstance(panel.collect()["5.start_at_step"], int)


async def test_workflow_then_load_in_the_same_tick(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = app.query_one(ParameterPanel)
        panel.options = options
        # Reuse Settings: select the generation's workflow, then load its parameters at once.
        panel.workflow_parameters = params
        panel.load(STORED)
        await pilot.pause()
        assert panel.collect() == STORED
        rows = screen_text(app).splitlines()
        assert "disable" in next(row for row in rows if "add_noise" in row), "loaded choices are drawn, not just stored"
        assert "karras" in next(row for row in rows if "Scheduler" in row)


async def test_a_workflow_fills_the_form_with_its_own_values(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = await ready(pilot, options, params)
        collected = panel.collect()
        assert (collected["width"], collected["height"], collected["steps"], collected["cfg_scale"]) == (512, 768, 20, 7.0)
        assert collected["seed"] == -1, "the seed stays random unless the user sets one"
        assert collected["checkpoint_name"] == "sd_xl_base_1.0.safetensors"
        assert {k: v for k, v in collected.items() if "." in k} == {
            "5.add_noise": "enable", "5.start_at_step": 0, "5.end_at_step": 10000,
            "5.return_with_leftover_noise": "disable", "7.filename_prefix": "sftui", "8.value": True,
        }
        assert "KSamplerAdvanced · node 5" in screen_text(app)

        panel.values = {"steps": 44, "7.filename_prefix": "x"}
        await pilot.pause()
        assert panel.collect()["steps"] == 44 and panel.collect()["7.filename_prefix"] == "x"


async def test_out_of_range_values_are_refused_inline(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = await ready(pilot, options, params)
        panel.numbers["steps"].focus()
        await pilot.press("ctrl+u", "0")
        await pilot.pause()
        assert "⚠ must be ≥ 1" in screen_text(app)
        with pytest.raises(ParameterError, match=r"^Steps: 0 is below the minimum 1$"):
            panel.collect()
        assert "steps" not in panel.values, "a refused value is left out of the values"

        await pilot.press("ctrl+u")
        await paste(pilot, "20000")
        await pilot.pause()
        assert "⚠ must be ≤ 10000" in screen_text(app)
        await pilot.press("ctrl+u")
        await paste(pilot, "25")
        await pilot.pause()
        assert "⚠" not in screen_text(app)

        panel.numbers["cfg_scale"].focus()
        await pilot.press("ctrl+u")
        await paste(pilot, "1e999")
        with pytest.raises(ParameterError, match="CFG: '1e999' is not a finite number"):
            panel.collect()
        await pilot.press("ctrl+u", "7")

        panel.load({"5.end_at_step": 20000, "seed": -2})
        await pilot.pause()
        with pytest.raises(ParameterError, match=r"^Seed: -2 is below the minimum -1$"):
            panel.collect()
        await pilot.pause()
        assert app.focused is panel.seed_input.input, "the refused field gets the focus"
        panel.load({"seed": -1})
        with pytest.raises(ParameterError, match=r"end_at_step \(node 5\): 20000 is above the maximum 10000"):
            panel.collect()


async def test_randomize_seed_key_and_button(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    messages: list[Any] = []
    app = host()
    async with app.run_test(size=(100, 50), message_hook=messages.append) as pilot:
        panel = await ready(pilot, options, params)
        assert "-1 = random" in (panel.seed_input.input.tooltip or "")
        panel.seed_input.input.focus()
        await pilot.press("ctrl+r")
        await pilot.pause()
        seed = panel.collect()["seed"]
        assert 0 <= seed < SEED_LIMIT
        assert changes(messages)[-1]["seed"] == seed

        await pilot.press("tab")
        assert isinstance(app.focused, Button) and app.focused.id == "seed-random"
        for _ in range(5):  # a fresh draw equals the old one with probability 2**-50
            await pilot.press("enter")
            await pilot.pause()
            if panel.collect()["seed"] != seed:
                break
        assert panel.collect()["seed"] != seed


async def test_selects_and_presets_by_keyboard(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    messages: list[Any] = []
    app = host()
    async with app.run_test(size=(100, 50), message_hook=messages.append) as pilot:
        panel = await ready(pilot, options, params)
        panel.selects["sampler_name"].focus()
        await pilot.press("enter")
        await pilot.pause()
        sampler_row = next(row for row in screen_text(app).splitlines() if "Sampler" in row)
        assert "▲" in sampler_row and "euler" in sampler_row, "an open select points up"
        await pilot.press("down", "enter")
        await pilot.pause()
        sampler_row = next(row for row in screen_text(app).splitlines() if "Sampler" in row)
        assert "▼" in sampler_row and "euler_cfg_pp" in sampler_row
        assert panel.collect()["sampler_name"] == "euler_cfg_pp"
        assert changes(messages)[-1]["sampler_name"] == "euler_cfg_pp"

        panel.load({"width": 1000, "height": 1000})
        app.query_one("#size-preset", Select).focus()
        await pilot.press("enter", "down", "down", "enter")
        await pilot.pause()
        collected = panel.collect()
        assert (collected["width"], collected["height"]) == (1152, 896)

        panel.size_picker.width_input.focus()
        await pilot.press("ctrl+u")
        await paste(pilot, "1000")
        await pilot.pause()
        assert app.query_one("#size-preset", Select).value is Select.NULL, "a free size shows Custom"


async def test_lora_add_and_remove_with_keys(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    messages: list[Any] = []
    app = host()
    async with app.run_test(size=(100, 50), message_hook=messages.append) as pilot:
        panel = await ready(pilot, options, params)
        app.query_one("#lora-add", Button).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert panel.collect()["loras"] == [{"name": LORAS[0], "strength_model": 1.0, "strength_clip": 1.0}]
        assert changes(messages)[-1]["loras"] == panel.collect()["loras"]

        await pilot.press("tab", "ctrl+u")
        await paste(pilot, "0.25")
        await pilot.pause()
        assert panel.collect()["loras"][0]["strength_model"] == 0.25
        await pilot.press("ctrl+u")
        await paste(pilot, "101")
        with pytest.raises(ParameterError, match="LoRA 1 model strength: 101.0 is above the maximum 100.0"):
            panel.collect()
        await pilot.press("ctrl+u", "1", "tab", "tab")
        assert app.focused.has_class("lora-remove")
        await pilot.press("enter")
        await pilot.pause()
        assert panel.collect()["loras"] == []
        assert changes(messages)[-1]["loras"] == []


async def test_rows_follow_the_workflow(options: dict[str, Any], object_info: dict[str, Any], reference_dir: Path) -> None:
    model_free = json.loads((reference_dir / "workflow_model_free_api.json").read_text(encoding="utf-8"))
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = await ready(pilot, options, extract_parameters(model_free, object_info))
        collected = panel.collect()
        assert set(collected) == {"count"} | {k for k in collected if "." in k}, "no sampler: no standard settings"
        shown = [f.id for f in app.query(ParameterField) if f.display and f.id]
        assert shown == ["row-count"]


@pytest.mark.parametrize("width", [80, 50])
async def test_fits_the_terminal_width(options: dict[str, Any], params: list[dict[str, Any]], width: int) -> None:
    app = host()
    async with app.run_test(size=(width, 30)) as pilot:
        panel = await ready(pilot, options, params)
        panel.load(STORED)
        await pilot.pause()
        fields = [f for f in app.query(ParameterField) if f.display and f.region.width]
        assert fields and all(f.region.right <= width for f in fields)
        assert panel.has_class("-narrow") is (width < 60)
        steps, cfg = app.query_one("#row-steps").region, app.query_one("#row-cfg_scale").region
        assert (steps.y == cfg.y) is (width >= 60), "two fields per line when wide, stacked when narrow"
        await wait_until(pilot, lambda: panel.query_one("#parameters-scroll").max_scroll_y > 0, what="a scrollable panel")


def _with_values(prompt: dict[str, Any], **inputs: Any) -> dict[str, Any]:
    """The same graph with other input values (``"5.steps": 30``): another session's copy of the workflow."""
    prompt = copy.deepcopy(prompt)
    for key, value in inputs.items():
        node, field = key.split(".")
        prompt[node]["inputs"][field] = value
    return prompt


def panel_widgets(panel: ParameterPanel) -> list[Any]:
    return list(panel.walk_children())


async def test_the_same_workflow_again_changes_values_not_widgets(options: dict[str, Any], object_info: dict[str, Any]) -> None:
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = await ready(pilot, options, extract_parameters(copy.deepcopy(PROMPT), object_info))
        panel.load(STORED)
        await pilot.pause()
        before = panel_widgets(panel)

        # Another session on the same workflow (its own copy of the values) with its draft, as the main screen shows it.
        other = extract_parameters(_with_values(PROMPT, **{"5.steps": 9, "5.add_noise": "disable", "7.filename_prefix": "dogs"}), object_info)
        panel.show_workflow(other, {"steps": 12, "sampler_name": "heun", "checkpoint_name": CHECKPOINTS[0], "cfg_scale": 3.5, "8.value": True,
                                    "loras": [{"name": LORAS[1], "strength_model": 0.3, "strength_clip": 0.2}, STORED["loras"][0]]})
        await pilot.pause()

        assert panel_widgets(panel) == before, "no widget of the panel was mounted, removed or replaced"
        collected = panel.collect()
        assert (collected["steps"], collected["sampler_name"], collected["cfg_scale"]) == (12, "heun", 3.5)
        assert collected["loras"] == [{"name": LORAS[1], "strength_model": 0.3, "strength_clip": 0.2}, STORED["loras"][0]]
        assert (collected["5.add_noise"], collected["7.filename_prefix"], collected["8.value"]) == ("disable", "dogs", True)
        text = screen_text(app)
        assert "heun" in text and "dogs" in text and CHECKPOINTS[0] in text, "the new values are drawn"
        assert "not on server" not in text, "the previous session's unknown LoRA is no longer offered"
        assert panel.values == collected


@pytest.mark.parametrize("loaded", [
    STORED,
    {},
    {"steps": None, "width": None, "height": 900, "sampler_name": None, "loras": None, "5.add_noise": None, "5.end_at_step": None, "seed": 7},
    {"loras": [], "count": 4, "checkpoint_name": "gone.safetensors", "7.filename_prefix": "x", "unknown.key": 1},
])
@pytest.mark.parametrize("definitions", ["same", "other"])
async def test_show_workflow_is_workflow_parameters_then_load(
    options: dict[str, Any], params: list[dict[str, Any]], object_info: dict[str, Any], loaded: dict[str, Any], definitions: str,
) -> None:
    app = ModalHost(lambda: iter([ParameterPanel(id="one"), ParameterPanel(id="two")]))
    async with app.run_test(size=(100, 80)) as pilot:
        one, two = app.query(ParameterPanel)
        for panel in (one, two):
            panel.options = options
            panel.workflow_parameters = params
            panel.load({**STORED, "seed": 99, "5.add_noise": "disable"})  # what the form showed before
        await pilot.pause()
        # The same workflow with other values (widgets kept), or definitions without bounds (groups rebuilt).
        changed = _with_values(PROMPT, **{"5.steps": 9, "4.width": 640, "5.add_noise": "enable", "5.end_at_step": 30})
        other = extract_parameters(changed, object_info if definitions == "same" else {})
        one.workflow_parameters = other
        one.load(loaded)
        two.show_workflow(other, loaded)
        await pilot.pause()
        assert two.values == one.values
        assert two.workflow_parameters == other


async def test_fewer_then_more_loras_reuse_their_rows(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = await ready(pilot, options, params)
        panel.load(STORED)  # two rows
        await pilot.pause()
        rows = list(panel.lora_list.query(".lora-row"))
        panel.load({"loras": []})
        await pilot.pause()
        assert panel.collect()["loras"] == [] and "none" in screen_text(app)
        panel.load({"loras": [{"name": LORAS[0], "strength_model": 0.5, "strength_clip": 0.5}]})
        await pilot.pause()
        assert list(panel.lora_list.query(".lora-row")) == rows, "hidden rows come back instead of new ones"
        assert panel.collect()["loras"] == [{"name": LORAS[0], "strength_model": 0.5, "strength_clip": 0.5}]
        shown = [row for row in rows if row.display]
        assert shown == rows[:1]

        # The keyboard still adds after the shown rows, naming the row by its place.
        panel.load({"loras": []})
        await pilot.pause()
        app.query_one("#lora-add", Button).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert [row for row in rows if row.display] == rows[:1] and panel.collect()["loras"][0]["name"] == LORAS[0]
        panel.load({"loras": [*STORED["loras"], {"name": LORAS[1], "strength_model": 1.0, "strength_clip": 1.0}]})
        await pilot.pause()
        third = list(panel.lora_list.query(".lora-row"))
        assert third[:2] == rows and len(third) == 3, "only the missing third row is new"
        panel.load({"loras": [{"name": None, "strength_model": 1.0, "strength_clip": 1.0}, *STORED["loras"][:1]]})
        await pilot.pause()
        with pytest.raises(ParameterError, match=r"^LoRA 1: choose a LoRA file or remove the row$"):
            panel.collect()


async def test_another_workflow_keeps_the_node_groups_it_shares(options: dict[str, Any], object_info: dict[str, Any]) -> None:
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = await ready(pilot, options, extract_parameters(copy.deepcopy(PROMPT), object_info))
        groups = {str(c.title): c for c in panel.custom.query("Collapsible")}
        assert list(groups) == ["KSamplerAdvanced · node 5", "SaveImage · node 7", "PrimitiveBoolean · node 8"]

        # Another workflow: node 8 is gone, node 9 (a string primitive) is new, node 5 and 7 are the same.
        changed = copy.deepcopy(PROMPT)
        del changed["8"]
        changed["9"] = {"class_type": "PrimitiveString", "inputs": {"value": "hello"}}
        panel.workflow_parameters = extract_parameters(changed, object_info)
        await pilot.pause()
        after = list(panel.custom.query("Collapsible"))
        assert after[:2] == [groups["KSamplerAdvanced · node 5"], groups["SaveImage · node 7"]], "the groups of nodes 5 and 7 are kept"
        assert len(after) == 3 and str(after[2].title) == "PrimitiveString · node 9"
        assert sorted(panel.custom.keys) == sorted(["5.add_noise", "5.start_at_step", "5.end_at_step", "5.return_with_leftover_noise",
                                                    "7.filename_prefix", "9.value"])
        assert panel.collect()["9.value"] == "hello" and "8.value" not in panel.collect()
        titles = [line.split("· node")[1].strip() for line in screen_text(app).splitlines() if "· node" in line]
        assert titles == ["5", "7", "9"], "the groups drawn follow the workflow's order"

        # The same nodes in another order are moved, not rebuilt.
        reordered = {key: changed[key] for key in ("9", "7", "1", "2", "3", "4", "5", "6")}
        panel.workflow_parameters = extract_parameters(reordered, object_info)
        await pilot.pause()
        assert list(panel.custom.query("Collapsible")) == [after[2], after[1], after[0]]
        titles = [line.split("· node")[1].strip() for line in screen_text(app).splitlines() if "· node" in line]
        assert titles == ["9", "7", "5"]

        # A workflow without custom parameters hides the heading; the standard rows follow it too.
        panel.workflow_parameters = [p for p in extract_parameters(changed, object_info) if p.get("standard")]
        await pilot.pause()
        assert panel.custom.keys == [] and "Workflow parameters" not in screen_text(app)


async def test_a_kept_custom_field_keeps_explaining_a_refused_value(options: dict[str, Any], params: list[dict[str, Any]]) -> None:
    app = host()
    async with app.run_test(size=(100, 50)) as pilot:
        panel = await ready(pilot, options, params)
        panel.custom.control_for("5.end_at_step").focus()
        await pilot.press("ctrl+u")
        await paste(pilot, "20000")
        await pilot.pause()
        assert "⚠ must be ≤ 10000" in screen_text(app)
        panel.show_workflow(params, {"5.end_at_step": 20000})  # the same text again: still refused
        await pilot.pause()
        assert "⚠ must be ≤ 10000" in screen_text(app)
        panel.show_workflow(params, {"5.end_at_step": 25})
        await pilot.pause()
        assert "⚠" not in screen_text(app) and panel.collect()["5.end_at_step"] == 25
