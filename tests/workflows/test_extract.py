"""extract_parameters / read_parameters: standard parameters by tracing, every other widget as custom."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sftui.errors import WorkflowError
from sftui.workflows.defaults import default_workflow
from sftui.workflows.extract import extract_parameters, read_parameters
from tests.workflows.test_apply_loras import with_two_loras
from tests.workflows.test_apply_tracing import base_and_refiner, custom_advanced, lying_titles

EXAMPLES = "conversion-examples"


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict[str, Any]:
    return json.loads((reference_dir / "object_info.json").read_text())


def load(reference_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((reference_dir / EXAMPLES / f"{name}.api.json").read_text())


def extract(prompt: dict[str, Any], object_info: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    before = copy.deepcopy(prompt)
    params = extract_parameters(prompt, object_info)
    assert prompt == before
    keys = [p["key"] for p in params]
    assert len(keys) == len(set(keys))
    return {p["key"]: p for p in params}


def test_default_workflow_with_object_info(object_info: dict[str, Any]) -> None:
    params = extract(default_workflow(), object_info)
    assert list(params) == ["checkpoint_name", "width", "height", "batch_size", "seed", "steps", "cfg_scale", "sampler_name",
                            "scheduler", "denoise", "loras", "9.filename_prefix"]
    seed = params["seed"]
    assert {k: seed[k] for k in ("standard", "label", "nodeId", "field", "type", "value", "min", "max", "class_type")} == {
        "standard": True, "label": "Seed", "nodeId": "3", "field": "seed", "type": "seed", "value": 0, "min": 0,
        "max": 2**64 - 1, "class_type": "KSampler"}
    width = params["width"]
    assert (width["type"], width["min"], width["max"], width["step"], width["default"]) == ("number", 16, 16384, 8, 512)
    sampler = params["sampler_name"]
    assert sampler["type"] == "select" and sampler["options"] == object_info["KSampler"]["input"]["required"]["sampler_name"][0]
    assert params["cfg_scale"]["field"] == "cfg" and params["cfg_scale"]["input_type"] == "FLOAT"
    assert params["loras"]["type"] == "loras" and params["loras"]["value"] == []
    prefix = params["9.filename_prefix"]
    assert {k: prefix[k] for k in ("standard", "label", "nodeId", "field", "type", "value", "group", "class_type", "default")} == {
        "standard": False, "label": "Save Image · filename_prefix", "nodeId": "9", "field": "filename_prefix",
        "type": "string", "value": "sftui", "group": "Save Image", "class_type": "SaveImage", "default": "ComfyUI"}


def test_without_object_info_kinds_come_from_the_builtin_definitions() -> None:
    params = extract(default_workflow())
    assert params["sampler_name"]["type"] == "select" and params["sampler_name"]["input_type"] == "COMBO"
    assert all(params[k]["min"] is None and params[k]["options"] is None for k in ("steps", "sampler_name"))
    assert params["seed"]["type"] == "seed" and params["steps"]["type"] == "number"


def test_prompt_text_fields_are_hidden_but_unreached_encoders_are_not() -> None:
    params = extract(custom_advanced())
    assert not {"3.clip_l", "3.t5xxl", "4.text"} & set(params)
    assert params["22.text"]["type"] == "string" and params["22.text"]["value"] == "stray"
    assert params["3.guidance"]["type"] == "number"
    # Stray nodes of sampler-part classes are custom, not standard.
    assert params["20.noise_seed"]["type"] == "seed" and params["21.sampler_name"]["type"] == "select"
    assert params["seed"]["targets"] == [{"nodeId": "5", "field": "noise_seed"}]
    assert params["cfg_scale"]["nodeId"] == "6" and params["steps"]["nodeId"] == "8"


def test_linked_inputs_are_not_parameters() -> None:
    params = extract(default_workflow())
    assert not any(p["field"] in ("model", "clip", "positive", "negative", "latent_image", "samples", "vae", "images")
                   for p in params.values())


def test_refiner_and_advanced_sampler_fields(object_info: dict[str, Any]) -> None:
    params = extract(base_and_refiner(), object_info)
    assert params["seed"]["targets"] == [{"nodeId": "8", "field": "noise_seed"}, {"nodeId": "9", "field": "noise_seed"}]
    assert params["checkpoint_name"]["targets"] == [{"nodeId": "1", "field": "ckpt_name"}]
    assert params["2.ckpt_name"]["label"] == "CheckpointLoaderSimple · ckpt_name"
    for key in ("8.start_at_step", "8.end_at_step", "9.start_at_step"):
        assert params[key]["type"] == "number" and params[key]["min"] == 0
    assert params["8.add_noise"]["options"] == ["enable", "disable"]
    assert "denoise" not in params  # KSamplerAdvanced has none
    assert params["3.width"]["group"] == "CLIPTextEncodeSDXL"


def test_lora_chain_is_one_standard_parameter() -> None:
    params = extract(with_two_loras())
    assert params["loras"]["value"] == [
        {"name": "a", "strength_model": 0.5, "strength_clip": 0.6},
        {"name": "b", "strength_model": 0.7, "strength_clip": 0.8},
    ]
    assert not any(key.startswith(("20.", "21.")) for key in params)


def test_types_of_custom_widgets(reference_dir: Path, object_info: dict[str, Any]) -> None:
    params = extract(load(reference_dir, "api_tripo3_1_multiview_to_model"), object_info)
    assert params["47.model_seed"]["type"] == "seed" and params["47.texture_seed"]["type"] == "seed"
    assert params["47.pbr"]["type"] == "boolean" and params["47.orientation"]["type"] == "select"
    assert params["47.face_limit"]["type"] == "number"
    assert "43.image" not in params  # the frontend adds it; the server does not declare it
    assert not any(p["standard"] for p in params.values())


def test_unknown_nodes_infer_types_from_values() -> None:
    prompt = {"1": {"class_type": "MyNode", "_meta": {"title": "Mine"},
                    "inputs": {"flag": True, "count": 3, "ratio": 0.5, "my_seed": 4, "name": "x", "blob": {"a": 1},
                               "nothing": None, "pair": [1, 2, 3]}}}
    params = extract(prompt)
    assert {k: p["type"] for k, p in params.items()} == {
        "1.flag": "boolean", "1.count": "number", "1.ratio": "number", "1.my_seed": "seed", "1.name": "string"}
    assert params["1.flag"]["label"] == "Mine · flag" and params["1.flag"]["group"] == "Mine"


def test_read_parameters(reference_dir: Path) -> None:
    assert read_parameters(default_workflow()) == {
        "checkpoint_name": "sd_xl_base_1.0.safetensors", "width": 1024, "height": 1024, "batch_size": 1, "seed": 0,
        "steps": 20, "cfg_scale": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "loras": [],
        "prompt_text": "", "negative_prompt": ""}
    lying = read_parameters(lying_titles())
    assert (lying["prompt_text"], lying["negative_prompt"]) == ("old positive", "old negative")
    newbie = read_parameters(load(reference_dir, "image_newbieimage_exp0_1-t2i"))
    assert newbie["prompt_text"] is None  # computed by string nodes
    assert newbie["negative_prompt"].startswith("You are an assistant designed to generate low-quality images")
    angles = read_parameters(load(reference_dir, "templates-1_click_multiple_scene_angles-v1.0"))
    assert angles["prompt_text"] == "Turn the camera to a close-up.\n"  # through the primitive
    z_image = read_parameters(load(reference_dir, "image_z_image_turbo_fun_union_controlnet"))
    assert "negative_prompt" not in z_image and "width" not in z_image and z_image["steps"] == 8
    assert read_parameters(load(reference_dir, "basic_mask_operations_and_compositing")) == {}


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ([], "an API prompt must be a JSON object of nodes, not list"),
        ({"nodes": [], "links": []}, "this is a UI-format workflow; convert it to an API prompt first"),
        ({"1": 3}, "node 1: must be an object, not int"),
        ({"1": {"inputs": {}}}, "node 1: missing class_type"),
        ({"1": {"class_type": "X", "inputs": []}}, "node 1 (X): inputs must be an object"),
    ],
)
def test_malformed_prompts(prompt: Any, message: str) -> None:
    for call in (extract_parameters, read_parameters):
        with pytest.raises(WorkflowError) as caught:
            call(prompt)
        assert str(caught.value) == message


def test_builtin_core_node_types_agree_with_the_server(object_info: dict[str, Any]) -> None:
    from sftui.workflows.graph import builtin_defs
    from sftui.workflows.nodedefs import NodeDefs

    builtin, server = builtin_defs(), NodeDefs(object_info)
    assert len(builtin) > 200
    for class_type in builtin:
        ours, theirs = builtin.get(class_type), server.get(class_type)
        assert ours is not None and theirs is not None, class_type
        assert ours.outputs == theirs.outputs and ours.output_names == theirs.output_names, class_type
        assert ours.input_order == theirs.input_order, class_type
        for name, declared in ours.inputs.items():
            real = theirs.inputs[name]
            assert (declared.kind, declared.link_types, declared.multiline, declared.control_after_generate) == (
                real.kind, real.link_types, real.multiline, real.control_after_generate), (class_type, name)


def test_video_latent_sizes_are_standard() -> None:
    prompt = custom_advanced()
    prompt["9"] = {"class_type": "EmptyHunyuanLatentVideo", "inputs": {"width": 848, "height": 480, "length": 25, "batch_size": 1}}
    params = extract(prompt)
    assert (params["width"]["value"], params["height"]["value"], params["batch_size"]["value"]) == (848, 480, 1)
    assert params["9.length"]["type"] == "number"
