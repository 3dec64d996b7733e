"""Prompt validation: each problem gives one message naming node, class and field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sftui.errors import WorkflowError
from sftui.workflows.validate import check_prompt, validate_prompt

GOOD = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "tiny_sd15_random.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 1, "steps": 20, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
            "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
        },
    },  # fmt: skip
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "x"}},
}


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict:
    info = json.loads((reference_dir / "object_info.json").read_text())
    info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = ["tiny_sd15_random.safetensors"]
    return info


def edited(path: str, value) -> dict:
    prompt = copy.deepcopy(GOOD)
    node_id, _, field = path.partition(".")
    if field:
        prompt[node_id]["inputs"][field] = value
    else:
        prompt[node_id] = value
    return prompt


def errors(prompt, object_info) -> list[str]:
    return [i.message for i in validate_prompt(prompt, object_info) if i.severity == "error"]


def test_good_prompt_has_no_issues(object_info: dict) -> None:
    assert validate_prompt(GOOD, object_info) == []
    assert check_prompt(GOOD, object_info) == []


@pytest.mark.parametrize(
    "path,value,message",
    [
        ("3.steps", 0, 'node 3 (KSampler) input "steps": 0 is below the minimum 1'),
        ("3.steps", 10001, 'node 3 (KSampler) input "steps": 10001 is above the maximum 10000'),
        ("3.steps", True, 'node 3 (KSampler) input "steps": true is a boolean, not an integer'),
        ("3.steps", 7.5, 'node 3 (KSampler) input "steps": 7.5 is not an integer'),
        ("3.steps", "20", 'node 3 (KSampler) input "steps": expected an integer, got text'),
        ("3.seed", 2**64, 'node 3 (KSampler) input "seed": 18446744073709551616 is outside the 64-bit range (seeds go up to 2^64-1)'),
        ("3.seed", -1, 'node 3 (KSampler) input "seed": -1 is below the minimum 0'),
        ("3.cfg", "high", 'node 3 (KSampler) input "cfg": expected a number, got text'),
        ("3.cfg", False, 'node 3 (KSampler) input "cfg": expected a number, got a boolean'),
        ("3.cfg", float("nan"), 'node 3 (KSampler) input "cfg": nan is not a finite number'),
        ("3.sampler_name", "euler_z", "node 3 (KSampler) input \"sampler_name\": 'euler_z' is not one of the allowed values "
         "(euler, euler_cfg_pp, euler_ancestral, euler_ancestral_cfg_pp, heun, heunpp2, dpm_2, dpm_2_ancestral, … 42 in all)"),
        ("3.sampler_name", None, 'node 3 (KSampler) input "sampler_name": expected one of the allowed values, got null'),
        ("5.width", 0, 'node 5 (EmptyLatentImage) input "width": 0 is below the minimum 16'),
        ("5.height", -512, 'node 5 (EmptyLatentImage) input "height": -512 is below the minimum 16'),
        ("6.text", 42, 'node 6 (CLIPTextEncode) input "text": expected text, got a number'),
        ("3.model", ["99", 0], 'node 3 (KSampler) input "model": is linked to node 99, which does not exist'),
        ("3.model", ["4", 5], 'node 3 (KSampler) input "model": is linked to output 5 of node 4 (CheckpointLoaderSimple), which has 3 output(s)'),
        ("3.model", ["4", 1], 'node 3 (KSampler) input "model": node 4 (CheckpointLoaderSimple) output 1 is CLIP, but this input takes MODEL'),
        ("3.model", [4, 0], 'node 3 (KSampler) input "model": link source 4 must be a node id string'),
        ("3.model", ["4", -1], 'node 3 (KSampler) input "model": link output index -1 must be a non-negative integer'),
        ("3.model", ["4", 0, 1], 'node 3 (KSampler) input "model": a link must be [node_id, output_index]'),
        ("3.model", "model.safetensors", 'node 3 (KSampler) input "model": expects a link [node_id, output_index] to a MODEL output, not a value'),
        ("3.steps", ["5", 0], 'node 3 (KSampler) input "steps": node 5 (EmptyLatentImage) output 0 is LATENT, but this input takes INT'),
        ("9", {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}, 'node 9 (SaveImage) input "images": required input is missing'),
        ("9", "SaveImage", "node 9: is not an object with class_type and inputs"),
        ("9", {"inputs": {}}, 'node 9: has no "class_type"'),
        ("9", {"class_type": "SaveImage", "inputs": []}, 'node 9 (SaveImage): "inputs" must be an object'),
        ("9", {"class_type": "SaveImage"}, 'node 9 (SaveImage): "inputs" must be an object'),
    ],
)
def test_each_problem_names_node_class_and_field(object_info: dict, path: str, value, message: str) -> None:
    assert message in errors(edited(path, value), object_info)


def test_unknown_node_and_no_output_node(object_info: dict) -> None:
    prompt = edited("9", {"class_type": "FancySaver", "inputs": {"images": ["8", 0]}})
    assert errors(prompt, object_info) == [
        "node 9 (FancySaver): unknown node type 'FancySaver' (a custom node the server does not have?)",
        "the workflow has no output node (such as SaveImage or PreviewImage), so ComfyUI would run nothing",
    ]


def test_a_cycle_names_its_nodes(object_info: dict) -> None:
    prompt = edited("5", {"class_type": "LatentUpscaleBy", "inputs": {"samples": ["3", 0], "upscale_method": "area", "scale_by": 1.5}})
    assert errors(prompt, object_info) == [
        "node 3 (KSampler): nodes 3 (KSampler) → 5 (LatentUpscaleBy) → 3 form a cycle",
    ]


def test_missing_model_file_is_a_warning(object_info: dict) -> None:
    issues = validate_prompt(edited("4.ckpt_name", "dreamshaper_8.safetensors"), object_info)
    assert [(i.severity, i.node_id, i.class_type, i.field, i.message) for i in issues] == [
        ("warning", "4", "CheckpointLoaderSimple", "ckpt_name",
         "node 4 (CheckpointLoaderSimple) input \"ckpt_name\": model file 'dreamshaper_8.safetensors' is not on the server (it lists 1 for this input)"),
    ]  # fmt: skip


def test_missing_input_image_is_a_warning(object_info: dict) -> None:
    prompt = {"1": {"class_type": "LoadImage", "inputs": {"image": "cat.png"}}, "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
    assert [(i.severity, i.message) for i in validate_prompt(prompt, object_info)] == [
        ("warning", "node 1 (LoadImage) input \"image\": input file 'cat.png' is not in the server's input folder; upload it first"),
    ]


def test_without_object_info_only_structure_is_checked() -> None:
    assert validate_prompt(edited("3.steps", 0), None) == []
    assert [i.message for i in validate_prompt(edited("3.model", ["99", 0]), None)] == [
        'node 3 (KSampler) input "model": is linked to node 99, which does not exist'
    ]
    assert [i.message for i in validate_prompt([], None)] == ["workflow is not an API prompt: expected an object of nodes"]
    assert [i.message for i in validate_prompt({}, None, source="wf.json")] == ["wf.json has no nodes"]


def test_check_prompt_raises_the_first_error_with_all_in_details(object_info: dict) -> None:
    prompt = edited("3.steps", 0)
    prompt["5"]["inputs"]["width"] = 8
    prompt["4"]["inputs"]["ckpt_name"] = "other.safetensors"
    with pytest.raises(WorkflowError) as excinfo:
        check_prompt(prompt, object_info, source="wf.json")
    # Errors come in prompt order: node 5 precedes node 3 in GOOD.
    assert str(excinfo.value) == 'wf.json: node 5 (EmptyLatentImage) input "width": 8 is below the minimum 16 (and 1 more error)'
    details = excinfo.value.details
    assert [e["field"] for e in details["errors"]] == ["width", "steps"]
    assert [w["field"] for w in details["warnings"]] == ["ckpt_name"]
    warnings = check_prompt(edited("4.ckpt_name", "other.safetensors"), object_info)
    assert [w.field for w in warnings] == ["ckpt_name"]
