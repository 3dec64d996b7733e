"""The LoRA chain: inserted, updated in order, shortened, removed; every consumer rewired."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sftui.errors import ParameterError
from sftui.workflows.apply import AppliedWorkflow, apply_parameters
from sftui.workflows.defaults import default_workflow
from sftui.workflows.graph import as_link


def apply(prompt: dict[str, Any], parameters: dict[str, Any], **kwargs: Any) -> AppliedWorkflow:
    before = copy.deepcopy(prompt)
    result = apply_parameters(prompt, parameters, **kwargs)
    assert prompt == before
    return result


def edges(prompt: dict[str, Any]) -> set[tuple[str, int, str, str]]:
    """(source, slot, target, input) for every link."""
    out = set()
    for target, node in prompt.items():
        for name, value in node["inputs"].items():
            link = as_link(value)
            if link:
                out.add((link[0], link[1], target, name))
    return out


def lora(name: str, model: float = 1.0, clip: float = 1.0) -> dict[str, Any]:
    return {"name": name, "strength_model": model, "strength_clip": clip}


def lora_node(model: list[Any], clip: list[Any], config: dict[str, Any]) -> dict[str, Any]:
    return {"class_type": "LoraLoader", "inputs": {"model": model, "clip": clip, "lora_name": config["name"],
            "strength_model": config["strength_model"], "strength_clip": config["strength_clip"]}}


DEFAULT_EDGES = {
    ("4", 0, "3", "model"), ("6", 0, "3", "positive"), ("7", 0, "3", "negative"), ("5", 0, "3", "latent_image"),
    ("4", 1, "6", "clip"), ("4", 1, "7", "clip"), ("3", 0, "8", "samples"), ("4", 2, "8", "vae"), ("8", 0, "9", "images"),
}


def with_two_loras() -> dict[str, Any]:
    prompt = default_workflow()
    prompt["20"] = lora_node(["4", 0], ["4", 1], lora("a", 0.5, 0.6))
    prompt["21"] = lora_node(["20", 0], ["20", 1], lora("b", 0.7, 0.8))
    prompt["3"]["inputs"]["model"] = ["21", 0]
    prompt["6"]["inputs"]["clip"] = ["21", 1]
    prompt["7"]["inputs"]["clip"] = ["21", 1]
    return prompt


def test_default_edges_are_what_the_tests_assume() -> None:
    assert edges(default_workflow()) == DEFAULT_EDGES


def test_insert_two_loras_into_the_default_workflow() -> None:
    result = apply(default_workflow(), {"loras": [lora("x", 0.5, 0.25), {"name": "y"}]})
    assert edges(result.prompt) == (DEFAULT_EDGES - {("4", 0, "3", "model"), ("4", 1, "6", "clip"), ("4", 1, "7", "clip")}) | {
        ("4", 0, "10", "model"), ("4", 1, "10", "clip"), ("10", 0, "11", "model"), ("10", 1, "11", "clip"),
        ("11", 0, "3", "model"), ("11", 1, "6", "clip"), ("11", 1, "7", "clip"),
    }
    assert result.prompt["10"]["class_type"] == result.prompt["11"]["class_type"] == "LoraLoader"
    assert result.parameters["loras"] == [lora("x", 0.5, 0.25), lora("y", 1.0, 1.0)]


def test_existing_chain_is_updated_in_order_without_duplicates() -> None:
    prompt = with_two_loras()
    result = apply(prompt, {"loras": [lora("c", 1.0, 0.9), lora("d", 0.1, 0.2)]})
    assert edges(result.prompt) == edges(prompt)
    assert result.prompt["20"]["inputs"]["lora_name"] == "c" and result.prompt["21"]["inputs"]["strength_clip"] == 0.2
    assert result.parameters["loras"] == [lora("c", 1.0, 0.9), lora("d", 0.1, 0.2)]


def test_longer_list_appends_after_the_last_existing_lora() -> None:
    prompt = with_two_loras()
    result = apply(prompt, {"loras": [lora("a", 0.5, 0.6), lora("b", 0.7, 0.8), lora("c")]})
    assert edges(result.prompt) == (edges(prompt) - {("21", 0, "3", "model"), ("21", 1, "6", "clip"), ("21", 1, "7", "clip")}) | {
        ("21", 0, "22", "model"), ("21", 1, "22", "clip"), ("22", 0, "3", "model"), ("22", 1, "6", "clip"), ("22", 1, "7", "clip"),
    }


def test_shorter_list_removes_the_surplus_and_rewires() -> None:
    prompt = with_two_loras()
    result = apply(prompt, {"loras": [lora("z")]})
    assert "21" not in result.prompt
    assert edges(result.prompt) == (edges(prompt) - {
        ("20", 0, "21", "model"), ("20", 1, "21", "clip"), ("21", 0, "3", "model"), ("21", 1, "6", "clip"), ("21", 1, "7", "clip"),
    }) | {("20", 0, "3", "model"), ("20", 1, "6", "clip"), ("20", 1, "7", "clip")}
    assert result.parameters["loras"] == [lora("z")]


def test_empty_list_removes_every_lora() -> None:
    result = apply(with_two_loras(), {"loras": []})
    assert result.prompt == default_workflow()
    assert result.parameters["loras"] == []


def test_absent_loras_keep_the_chain() -> None:
    prompt = with_two_loras()
    result = apply(prompt, {"steps": 5})
    assert edges(result.prompt) == edges(prompt)
    assert result.parameters["loras"] == [lora("a", 0.5, 0.6), lora("b", 0.7, 0.8)]


def test_every_model_and_clip_consumer_is_rewired() -> None:
    prompt = default_workflow()
    prompt["30"] = {"class_type": "CLIPSetLastLayer", "inputs": {"clip": ["4", 1], "stop_at_clip_layer": -2}}
    prompt["6"]["inputs"]["clip"] = ["30", 0]
    prompt["31"] = {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": "other"}}
    prompt["32"] = {"class_type": "ModelSamplingDiscrete", "inputs": {"model": ["4", 0], "sampling": "eps", "zsnr": False}}
    result = apply(prompt, {"loras": [lora("x")]})
    new = "33"
    assert result.prompt[new]["inputs"]["model"] == ["4", 0] and result.prompt[new]["inputs"]["clip"] == ["4", 1]
    consumers = {(t, n) for s, _, t, n in edges(result.prompt) if s == new}
    assert consumers == {("3", "model"), ("32", "model"), ("30", "clip"), ("7", "clip"), ("31", "clip")}
    assert {(t, n) for s, slot, t, n in edges(result.prompt) if s == "4"} == {(new, "model"), (new, "clip"), ("8", "vae")}


def test_new_ids_do_not_collide() -> None:
    prompt = default_workflow()
    prompt["12:1"] = {"class_type": "Note", "inputs": {}}
    prompt["12"] = {"class_type": "Note", "inputs": {}}
    result = apply(prompt, {"loras": [lora("x"), lora("y")]})
    assert result.prompt["13"]["class_type"] == "LoraLoader" and result.prompt["14"]["class_type"] == "LoraLoader"


def test_unet_and_separate_clip_loader(reference_dir: Path) -> None:
    path = reference_dir / "conversion-examples" / "image_z_image_turbo_fun_union_controlnet.api.json"
    prompt = json.loads(path.read_text())
    result = apply(prompt, {"loras": [lora("x")]}, prompt_text="P")
    new = "59"  # the largest plain numeric id is 58
    assert result.prompt[new]["inputs"]["model"] == ["70:46", 0] and result.prompt[new]["inputs"]["clip"] == ["70:39", 0]
    assert {(t, n) for s, _, t, n in edges(result.prompt) if s == new} == {("70:60", "model"), ("70:45", "clip")}
    assert result.parameters["loras"] == [lora("x")]


def test_model_only_loras_are_not_part_of_the_chain(reference_dir: Path) -> None:
    path = reference_dir / "conversion-examples" / "templates-1_click_multiple_scene_angles-v1.0.api.json"
    prompt = json.loads(path.read_text())
    result = apply(prompt, {"loras": [lora("x")]})
    new = "74"
    assert result.prompt[new]["inputs"]["model"] == ["48:12", 0] and result.prompt[new]["inputs"]["clip"] == ["48:10", 0]
    assert result.prompt["48:26"]["inputs"]["model"] == [new, 0]
    assert result.prompt["48:20"]["inputs"]["model"] == ["48:26", 0]


def test_no_model_loader(reference_dir: Path) -> None:
    prompt = json.loads((reference_dir / "conversion-examples" / "basic_mask_operations_and_compositing.api.json").read_text())
    assert apply(prompt, {"loras": []}).prompt == prompt
    with pytest.raises(ParameterError) as caught:
        apply(prompt, {"loras": [lora("x")]})
    assert str(caught.value) == "loras: no model loader is reachable from a sampler's model input"


def test_no_clip_source() -> None:
    prompt = default_workflow()
    prompt["4"] = {"class_type": "UNETLoader", "inputs": {"unet_name": "u.safetensors", "weight_dtype": "default"}}
    for encoder in ("6", "7"):
        prompt[encoder]["inputs"]["clip"] = "not a link"
    prompt["8"]["inputs"]["vae"] = ["3", 0]
    with pytest.raises(ParameterError) as caught:
        apply(prompt, {"loras": [lora("x")]})
    assert str(caught.value) == "loras: cannot find the CLIP loader that feeds the text encoders"
