"""apply_parameters on the default workflow, reference prompts and hand-built graphs."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from sftui.errors import ParameterError
from sftui.workflows.apply import SEED_LIMIT, AppliedWorkflow, apply_parameters, random_seed
from sftui.workflows.defaults import default_workflow


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict[str, Any]:
    return json.loads((reference_dir / "object_info.json").read_text())


def apply(prompt: dict[str, Any], parameters: dict[str, Any], **kwargs: Any) -> AppliedWorkflow:
    """apply_parameters, asserting that neither argument is mutated."""
    before, params_before = copy.deepcopy(prompt), copy.deepcopy(parameters)
    info = kwargs.get("object_info")
    info_before = copy.deepcopy(info) if info is not None and len(info) < 50 else None
    result = apply_parameters(prompt, parameters, **kwargs)
    assert prompt == before
    assert parameters == params_before
    if info_before is not None:
        assert info == info_before
    assert result.prompt is not prompt
    return result


def node(class_type: str, title: str | None = None, **inputs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"class_type": class_type, "inputs": inputs}
    if title:
        out["_meta"] = {"title": title}
    return out


def ksampler(model: str, pos: str, neg: str, latent: str, seed: int = 1, **extra: Any) -> dict[str, Any]:
    inputs = dict(model=[model, 0], positive=[pos, 0], negative=[neg, 0], latent_image=[latent, 0], seed=seed, steps=20,
                  cfg=8.0, sampler_name="euler", scheduler="normal", denoise=1.0)
    inputs.update(extra)
    return node("KSampler", **inputs)


def with_lists(info: dict[str, Any], **lists: list[str]) -> dict[str, Any]:
    """A copy of object_info whose model lists hold the given files (the reference server has none)."""
    out = dict(info)
    places = {"ckpt_name": "CheckpointLoaderSimple", "lora_name": "LoraLoader", "vae_name": "VAELoader"}
    for field, files in lists.items():
        cls = places[field]
        out[cls] = copy.deepcopy(info[cls])
        out[cls]["input"]["required"][field] = [files, {}]
    return out


# -- the default workflow -------------------------------------------------------
def test_default_workflow_all_standard_keys() -> None:
    params = {"width": 832, "height": 1216, "steps": 30, "cfg_scale": 5, "seed": 123, "sampler_name": "dpmpp_2m",
              "scheduler": "karras", "batch_size": 2, "checkpoint_name": "other.safetensors", "denoise": 0.9}
    result = apply(default_workflow(), params, prompt_text="a cat", negative_prompt="blurry")
    p = result.prompt
    assert p["3"]["inputs"] | {} == {**p["3"]["inputs"], "seed": 123, "steps": 30, "cfg": 5.0, "sampler_name": "dpmpp_2m",
                                    "scheduler": "karras", "denoise": 0.9}
    assert isinstance(p["3"]["inputs"]["cfg"], float)
    assert p["5"]["inputs"] == {"width": 832, "height": 1216, "batch_size": 2}
    assert p["4"]["inputs"]["ckpt_name"] == "other.safetensors"
    assert (p["6"]["inputs"]["text"], p["7"]["inputs"]["text"]) == ("a cat", "blurry")
    assert result.parameters == {**params, "cfg_scale": 5.0, "loras": []}
    assert result.warnings == []


def test_keys_not_given_keep_the_workflow_values_and_are_reported() -> None:
    result = apply(default_workflow(), {"steps": 12})
    assert result.parameters == {"checkpoint_name": "sd_xl_base_1.0.safetensors", "width": 1024, "height": 1024,
                                 "batch_size": 1, "seed": 0, "steps": 12, "cfg_scale": 7.0, "sampler_name": "euler",
                                 "scheduler": "normal", "denoise": 1.0, "loras": []}
    assert result.prompt["6"]["inputs"]["text"] == ""  # no prompt given: untouched


def test_none_values_count_as_not_given() -> None:
    result = apply(default_workflow(), {"steps": None, "loras": None})
    assert result.prompt == default_workflow()


def test_reference_ksampler_workflow(reference_dir: Path) -> None:
    prompt = json.loads((reference_dir / "workflow_ksampler_api.json").read_text())
    result = apply(prompt, {"seed": 7, "width": 128}, prompt_text="a dog", negative_prompt="ugly")
    p = result.prompt
    assert p["2"]["inputs"]["text"] == "a dog" and p["3"]["inputs"]["text"] == "ugly"
    assert p["5"]["inputs"]["seed"] == 7 and p["4"]["inputs"]["width"] == 128
    assert result.parameters["steps"] == 4 and result.parameters["checkpoint_name"] == "tiny_sd15_random.safetensors"


# -- seeds --------------------------------------------------------------------------
def test_random_seed_range_and_rng() -> None:
    assert random_seed(random.Random(5)) == random_seed(random.Random(5))
    seeds = {random_seed() for _ in range(50)}
    assert all(0 <= s < SEED_LIMIT for s in seeds) and len(seeds) > 40
    assert SEED_LIMIT == 2**50


def test_seed_minus_one_is_drawn_once_with_the_given_rng() -> None:
    result = apply(default_workflow(), {"seed": -1}, rng=random.Random(9))
    assert result.prompt["3"]["inputs"]["seed"] == random_seed(random.Random(9)) == result.parameters["seed"]


@pytest.mark.parametrize("bad", [-2, 1.5, "3", True])
def test_bad_seeds(bad: Any) -> None:
    with pytest.raises(ParameterError, match="^seed: "):
        apply(default_workflow(), {"seed": bad})


# -- errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"steps": 0}, "steps: node 3 (KSampler) input 'steps': 0 is below the minimum 1"),
        ({"steps": 10001}, "steps: node 3 (KSampler) input 'steps': 10001 is above the maximum 10000"),
        ({"cfg_scale": 101}, "cfg_scale: node 3 (KSampler) input 'cfg': 101.0 is above the maximum 100.0"),
        ({"sampler_name": "nope"}, "sampler_name: node 3 (KSampler) input 'sampler_name': 'nope' is not one of the server's options (euler, "),
        ({"width": 8}, "width: node 5 (EmptyLatentImage) input 'width': 8 is below the minimum 16"),
        ({"checkpoint_name": "x.safetensors"}, "checkpoint_name: node 4 (CheckpointLoaderSimple) input 'ckpt_name': 'x.safetensors' is not one of the server's options (a.safetensors)"),
        ({"3.denoise": 2}, "node 3 (KSampler) input 'denoise': 2.0 is above the maximum 1.0"),
        ({"3.scheduler": "weird"}, "node 3 (KSampler) input 'scheduler': 'weird' is not one of the server's options"),
        ({"3.steps": "7"}, "node 3 (KSampler) input 'steps': expected an integer, got '7'"),
        ({"9.filename_prefix": 3}, "node 9 (SaveImage) input 'filename_prefix': expected a string, got 3"),
        ({"loras": [{"name": "missing.safetensors"}]}, "loras[0].name (LoraLoader input 'lora_name'): 'missing.safetensors' is not one of the server's options (a.safetensors)"),
        ({"loras": [{"name": "a.safetensors", "strength_model": 200}]}, "loras[0].strength_model (LoraLoader input 'strength_model'): 200.0 is above the maximum 100.0"),
    ],
)
def test_validation_against_object_info(object_info: dict[str, Any], params: dict[str, Any], message: str) -> None:
    info = with_lists(object_info, ckpt_name=["a.safetensors"], lora_name=["a.safetensors"])
    with pytest.raises(ParameterError) as caught:
        apply(default_workflow(), params, object_info=info)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("params", "kwargs", "message"),
    [
        ({"stepz": 3}, {}, "unknown parameter 'stepz' (custom parameters are keyed '<nodeId>.<field>')"),
        ({"99.seed": 3}, {}, "99.seed: the workflow has no node '99'"),
        ({"3.nonsense": 3}, {}, "node 3 (KSampler) has no input 'nonsense'"),
        ({"3.model": 3}, {}, "node 3 (KSampler) input 'model' is linked to node 4; it is not a parameter"),
        ({"3.cfg": "high"}, {}, "node 3 (KSampler) input 'cfg': expected a number, got 'high'"),
        ({"3.cfg": [1, 2, 3]}, {}, "node 3 (KSampler) input 'cfg': expected a number, got [1, 2, 3]"),
        ({"3.cfg": float("nan")}, {}, "node 3 (KSampler) input 'cfg': nan is not a finite number"),
        ({"steps": 2.5}, {}, "steps: expected an integer, got 2.5"),
        ({"cfg_scale": "7"}, {}, "cfg_scale: expected a number, got '7'"),
        ({"sampler_name": 3}, {}, "sampler_name: expected a string, got 3"),
        ({"loras": "a.safetensors"}, {}, "loras: expected a list of {name, strength_model, strength_clip}"),
        ({"loras": [{"strength_model": 1}]}, {}, "loras[0]: expected an object with a LoRA file 'name'"),
        ({"loras": [{"name": "a", "weight": 1}]}, {}, "loras[0]: unknown field 'weight'"),
        ({"loras": [{"name": "a", "strength_clip": "x"}]}, {}, "loras[0].strength_clip: expected a number, got 'x'"),
        ({}, {"prompt_text": 5}, "prompt_text: expected a string, got int"),
        ({"cfg_scale": 10**400}, {}, f"cfg_scale: {10**400} is too large for a number"),
    ],
)
def test_parameter_errors_without_object_info(params: dict[str, Any], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        apply(default_workflow(), params, **kwargs)
    assert str(caught.value) == message


def test_parameters_must_be_a_dict() -> None:
    with pytest.raises(ParameterError, match="parameters must be an object, not list"):
        apply_parameters(default_workflow(), [])  # type: ignore[arg-type]


def test_int_is_accepted_for_float_and_becomes_float(object_info: dict[str, Any]) -> None:
    result = apply(default_workflow(), {"3.denoise": 1, "cfg_scale": 6}, object_info=object_info)
    assert result.prompt["3"]["inputs"]["denoise"] == 1.0 and isinstance(result.prompt["3"]["inputs"]["denoise"], float)
    assert result.parameters["3.denoise"] == 1.0


def test_custom_parameters_set_fields_and_are_reported(object_info: dict[str, Any]) -> None:
    result = apply(default_workflow(), {"9.filename_prefix": "cats/run", "5.batch_size": 3, "steps": 25},
                   object_info=object_info)
    assert result.prompt["9"]["inputs"]["filename_prefix"] == "cats/run"
    assert result.parameters["9.filename_prefix"] == "cats/run"
    assert result.parameters["5.batch_size"] == 3 and result.parameters["batch_size"] == 3


def test_custom_parameter_may_add_a_declared_optional_widget() -> None:
    prompt = default_workflow()
    del prompt["3"]["inputs"]["denoise"]
    result = apply(prompt, {"3.denoise": 0.5})
    assert result.prompt["3"]["inputs"]["denoise"] == 0.5


def test_custom_key_with_colon_node_ids(reference_dir: Path) -> None:
    prompt = json.loads((reference_dir / "conversion-examples" / "image_z_image_turbo_fun_union_controlnet.api.json").read_text())
    result = apply(prompt, {"70:47.shift": 2.5})
    assert result.prompt["70:47"]["inputs"]["shift"] == 2.5


def test_standard_key_the_workflow_lacks_is_dropped_with_a_warning(reference_dir: Path) -> None:
    prompt = json.loads((reference_dir / "conversion-examples" / "image_z_image_turbo_fun_union_controlnet.api.json").read_text())
    result = apply(prompt, {"width": 512, "checkpoint_name": "x.safetensors"})
    assert "width" not in result.parameters and "checkpoint_name" not in result.parameters
    assert result.prompt["70:41"]["inputs"]["width"] == ["70:69", 0]
    assert result.prompt["70:46"]["inputs"]["unet_name"] == "z_image_turbo_bf16.safetensors"
    assert "width ignored: the workflow has no node that takes it" in result.warnings
    assert "checkpoint_name ignored: the workflow has no node that takes it" in result.warnings
