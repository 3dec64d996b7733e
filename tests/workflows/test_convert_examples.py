"""UI -> API conversion against prompts ComfyUI's own frontend built (conversion-examples/)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sftui.workflows.convert import ui_to_api
from sftui.workflows.validate import validate_prompt

EXAMPLES = [
    "api_tripo3_1_multiview_to_model",
    "basic_mask_operations_and_compositing",
    "image_newbieimage_exp0_1-t2i",
    "image_sdxl_simple",
    "image_z_image_turbo_fun_union_controlnet",
    "templates-1_click_multiple_scene_angles-v1.0",
]

# These templates target a newer ComfyUI than the captured object_info; a real
# server of that version rejects exactly these values too.
EXPECTED_ERRORS = {
    "api_tripo3_1_multiview_to_model": [
        'node 43 (SaveGLB) input "mesh": is linked to output 2 of node 47 (TripoMultiviewToModelNode), which has 2 output(s)',
        "node 47 (TripoMultiviewToModelNode) input \"model_version\": 'v3.1-20260211' is not one of the allowed values "
        "(v2.5-20250123, v2.0-20240919, v1.4-20240625)",
    ],
    "image_newbieimage_exp0_1-t2i": [
        "node 41:34 (DualCLIPLoader) input \"type\": 'newbie' is not one of the allowed values "
        "(sdxl, sd3, flux, hunyuan_video, hidream, hunyuan_image)",
    ],
}


def normalise(value):
    """The README's comparison: ids as strings, no _meta, key order ignored, 1 == 1.0."""
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items() if k != "_meta"}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "object_info.json").read_text())


def load_pair(reference_dir: Path, name: str) -> tuple[dict, dict]:
    folder = reference_dir / "conversion-examples"
    return json.loads((folder / f"{name}.ui.json").read_text()), json.loads((folder / f"{name}.api.json").read_text())


@pytest.mark.parametrize("name", EXAMPLES)
def test_converts_exactly_like_the_frontend(reference_dir: Path, object_info: dict, name: str) -> None:
    graph, expected = load_pair(reference_dir, name)
    result = ui_to_api(graph, object_info)
    assert normalise(result.prompt) == normalise(expected)
    assert result.warnings == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_converted_examples_validate(reference_dir: Path, object_info: dict, name: str) -> None:
    graph, _ = load_pair(reference_dir, name)
    issues = validate_prompt(ui_to_api(graph, object_info).prompt, object_info)
    assert [i.message for i in issues if i.severity == "error"] == EXPECTED_ERRORS.get(name, [])
    for warning in (i for i in issues if i.severity == "warning"):
        assert "model file" in warning.message or "input file" in warning.message


def test_titles_and_ids(reference_dir: Path, object_info: dict) -> None:
    graph, _ = load_pair(reference_dir, "image_newbieimage_exp0_1-t2i")
    prompt = ui_to_api(graph, object_info).prompt
    # Inner ids 43 and 49 collide with root nodes and are renumbered from last_node_id (52).
    assert "41:53" in prompt and "41:54" in prompt and "41:43" not in prompt
    assert prompt["41:53"]["_meta"]["title"] == "CLIP Text Encode (Positive Prompt)"
    assert prompt["43"]["_meta"]["title"] == "Replace"  # untitled nodes take the display name
    assert prompt["48"]["_meta"]["title"] == "User Prompt"


def test_large_example_converts_fast(reference_dir: Path, object_info: dict) -> None:
    graph, _ = load_pair(reference_dir, "templates-1_click_multiple_scene_angles-v1.0")
    start = time.perf_counter()
    prompt = ui_to_api(graph, object_info).prompt
    assert time.perf_counter() - start < 0.5
    assert len(prompt) == 94
