"""Property tests: extract -> apply -> extract round-trips, no mutation, only SftuiError on junk."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sftui.errors import SftuiError
from sftui.workflows.apply import SEED_LIMIT, apply_parameters
from sftui.workflows.defaults import default_workflow
from sftui.workflows.extract import STANDARD_KEYS, extract_parameters, read_parameters
from tests.workflows.test_apply_loras import with_two_loras
from tests.workflows.test_apply_tracing import base_and_refiner, custom_advanced, hires_fix, lying_titles

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "comfyui-reference"
EXAMPLES = ["image_sdxl_simple", "image_z_image_turbo_fun_union_controlnet", "image_newbieimage_exp0_1-t2i",
            "templates-1_click_multiple_scene_angles-v1.0", "api_tripo3_1_multiview_to_model",
            "basic_mask_operations_and_compositing"]
BUILT = {"default": default_workflow, "loras": with_two_loras, "refiner": base_and_refiner, "advanced": custom_advanced,
         "hires": hires_fix, "lying": lying_titles}
MODEL_LISTS = {
    "CheckpointLoaderSimple": ("ckpt_name", ["sd_xl_base_1.0.safetensors", "base.safetensors", "m.safetensors", "x.safetensors"]),
    "LoraLoader": ("lora_name", ["a", "b", "detail.safetensors"]),
    "VAELoader": ("vae_name", ["ae.safetensors", "qwen_image_vae.safetensors", "other.safetensors"]),
}
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _object_info() -> dict[str, Any]:
    info = json.loads((REFERENCE / "object_info.json").read_text())
    for cls, (field, files) in MODEL_LISTS.items():
        info[cls]["input"]["required"][field] = [files, {}]
    return info


def _workflows() -> dict[str, dict[str, Any]]:
    out = {name: make() for name, make in BUILT.items()}
    for name in EXAMPLES:
        out[name] = json.loads((REFERENCE / "conversion-examples" / f"{name}.api.json").read_text())
    return out


pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference captures not found")
INFO = _object_info() if REFERENCE.is_dir() else {}
WORKFLOWS = _workflows() if REFERENCE.is_dir() else {}

finite = {"allow_nan": False, "allow_infinity": False}


def value_strategy(param: dict[str, Any]) -> st.SearchStrategy[Any] | None:
    kind, lo, hi = param["type"], param["min"], param["max"]
    if kind == "loras":
        names = param["options"] or ["a"]
        one = st.fixed_dictionaries({"name": st.sampled_from(names), "strength_model": st.floats(-100, 100, **finite),
                                     "strength_clip": st.floats(-100, 100, **finite)})
        return st.lists(one, max_size=3)
    if kind == "select":
        return st.sampled_from(param["options"]) if param["options"] else None
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.text(max_size=12)
    if param["standard"] and param["key"] == "seed":
        return st.one_of(st.just(-1), st.integers(0, SEED_LIMIT - 1))
    if param["input_type"] == "FLOAT":
        return st.floats(lo if lo is not None else -1e6, hi if hi is not None else 1e6, **finite)
    if param["input_type"] == "INT" or isinstance(param["value"], int):
        low = int(lo) if lo is not None else -10**6
        return st.integers(low, int(hi) if hi is not None else low + 2 * 10**6)
    return None


@st.composite
def workflow_and_choices(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    name = draw(st.sampled_from(sorted(WORKFLOWS)))
    prompt = WORKFLOWS[name]
    params = extract_parameters(prompt, INFO)
    chosen = draw(st.lists(st.sampled_from(params), unique_by=lambda p: p["key"], max_size=8)) if params else []
    choices = {}
    for param in chosen:
        strategy = value_strategy(param)
        if strategy is not None:
            choices[param["key"]] = draw(strategy)
    return name, prompt, choices


@SETTINGS
@given(workflow_and_choices())
def test_extract_apply_extract_round_trips(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    _, prompt, choices = case
    before, choices_before = copy.deepcopy(prompt), copy.deepcopy(choices)
    old = {p["key"]: p["value"] for p in extract_parameters(prompt, INFO)}
    result = apply_parameters(prompt, choices, object_info=INFO)
    assert prompt == before and choices == choices_before
    new = {p["key"]: p["value"] for p in extract_parameters(result.prompt, INFO)}
    expected = {**old, **choices}
    if choices.get("seed") == -1:
        expected["seed"] = result.parameters["seed"]
        assert 0 <= expected["seed"] < SEED_LIMIT
    assert new == expected
    assert {k: v for k, v in result.parameters.items() if k in STANDARD_KEYS} == {
        k: v for k, v in read_parameters(result.prompt).items() if k in STANDARD_KEYS}
    assert {k: v for k, v in result.parameters.items() if k not in STANDARD_KEYS} == {
        k: v for k, v in choices.items() if k not in STANDARD_KEYS}


@SETTINGS
@given(st.sampled_from(sorted(WORKFLOWS)), st.text(max_size=30), st.text(max_size=30))
def test_prompts_round_trip_through_read_parameters(name: str, text: str, negative: str) -> None:
    prompt = WORKFLOWS[name]
    try:
        result = apply_parameters(prompt, {}, prompt_text=text, negative_prompt=negative)
    except SftuiError:
        assert "prompt_text" not in read_parameters(prompt)  # only workflows without a positive encoder refuse
        return
    read = read_parameters(result.prompt)
    if "prompt_text" not in read_parameters(prompt):
        # No positive encoder: only an empty prompt is accepted, and the graph is untouched.
        assert text == "" and result.prompt == prompt
        return
    assert read["prompt_text"] == text
    assert read.get("negative_prompt", negative) == negative


# -- junk in, SftuiError out ----------------------------------------------------------
CLASSES = ["KSampler", "KSamplerAdvanced", "SamplerCustomAdvanced", "CFGGuider", "RandomNoise", "CLIPTextEncode",
           "CLIPTextEncodeSDXL", "ConditioningCombine", "ControlNetApplyAdvanced", "CheckpointLoaderSimple", "UNETLoader",
           "LoraLoader", "EmptyLatentImage", "VAELoader", "VAEDecode", "BasicScheduler", "MyUnknownNode"]
INPUTS = ["model", "clip", "positive", "negative", "latent_image", "samples", "vae", "seed", "noise_seed", "text", "steps",
          "cfg", "width", "guider", "noise", "sigmas", "sampler", "conditioning_1", "lora_name", "strength_model", "ckpt_name"]
IDS = ["1", "2", "3", "4", "5", "6", "7"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5))
json_values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
                           max_leaves=6)
links = st.tuples(st.sampled_from(IDS) | st.integers(0, 9), st.integers(-1, 3)).map(list)
nodes = st.fixed_dictionaries(
    {"class_type": st.sampled_from(CLASSES), "inputs": st.dictionaries(st.sampled_from(INPUTS), links | json_values, max_size=8)},
    optional={"_meta": json_values},
)
prompts = st.dictionaries(st.sampled_from(IDS), nodes, max_size=7) | json_values
param_keys = st.sampled_from([*STANDARD_KEYS, "1.seed", "2.text", "3.cfg", "9.x", "bogus"])
parameters = st.dictionaries(param_keys, json_values | st.lists(st.fixed_dictionaries({"name": st.text(max_size=3)}), max_size=2),
                             max_size=5)


@settings(max_examples=150, deadline=None)
@given(prompts, parameters, st.none() | st.text(max_size=5), st.booleans())
def test_arbitrary_prompts_raise_only_sftui_errors(prompt: Any, params: Any, text: Any, with_info: bool) -> None:
    before = copy.deepcopy(prompt)
    info = INFO if with_info else None
    for call in (lambda: extract_parameters(prompt, info), lambda: read_parameters(prompt),
                 lambda: apply_parameters(prompt, params, prompt_text=text, negative_prompt=text, object_info=info)):
        try:
            call()
        except SftuiError:
            pass
    assert prompt == before
