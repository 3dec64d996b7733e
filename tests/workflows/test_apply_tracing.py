"""Prompt and sampler roles are found by tracing the graph, never by titles."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from sftui.errors import ParameterError
from sftui.workflows.apply import AppliedWorkflow, apply_parameters, random_seed

EXAMPLES = "conversion-examples"


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict[str, Any]:
    return json.loads((reference_dir / "object_info.json").read_text())


def load(reference_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((reference_dir / EXAMPLES / f"{name}.api.json").read_text())


def apply(prompt: dict[str, Any], parameters: dict[str, Any], **kwargs: Any) -> AppliedWorkflow:
    before = copy.deepcopy(prompt)
    result = apply_parameters(prompt, parameters, **kwargs)
    assert prompt == before
    return result


def node(class_type: str, title: str | None = None, **inputs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"class_type": class_type, "inputs": inputs}
    if title:
        out["_meta"] = {"title": title}
    return out


def lying_titles() -> dict[str, Any]:
    """Titles say the opposite of the wiring; conditioning passes through combine and controlnet nodes."""
    return {
        "1": node("CheckpointLoaderSimple", ckpt_name="m.safetensors"),
        "2": node("CLIPTextEncode", "Negative Prompt", text="old positive", clip=["1", 1]),
        "3": node("CLIPTextEncode", "Positive Prompt", text="old negative", clip=["1", 1]),
        "4": node("CLIPTextEncode", "Negative (style)", text="old style", clip=["1", 1]),
        "5": node("ConditioningCombine", conditioning_1=["2", 0], conditioning_2=["4", 0]),
        "6": node("ControlNetLoader", control_net_name="cn.safetensors"),
        "7": node("LoadImage", image="pose.png"),
        "8": node("ControlNetApplyAdvanced", positive=["5", 0], negative=["12", 0], control_net=["6", 0], image=["7", 0],
                  strength=1.0, start_percent=0.0, end_percent=1.0),
        "9": node("EmptyLatentImage", width=512, height=512, batch_size=1),
        "10": node("KSampler", "Positive Prompt", model=["1", 0], positive=["8", 0], negative=["8", 1], latent_image=["9", 0],
                   seed=1, steps=20, cfg=8.0, sampler_name="euler", scheduler="normal", denoise=1.0),
        "11": node("ConditioningSetTimestepRange", conditioning=["3", 0], start=0.0, end=1.0),
        "12": node("ConditioningConcat", conditioning_to=["11", 0], conditioning_from=["3", 0]),
    }


@pytest.mark.parametrize("with_info", [False, True])
def test_prompts_follow_the_wiring_not_the_titles(object_info: dict[str, Any], with_info: bool) -> None:
    result = apply(lying_titles(), {}, prompt_text="POS", negative_prompt="NEG", object_info=object_info if with_info else None)
    texts = {n: result.prompt[n]["inputs"]["text"] for n in ("2", "3", "4")}
    assert texts == {"2": "POS", "3": "NEG", "4": "POS"}
    assert result.warnings == []


def test_pair_nodes_and_encoders_unknown_to_every_definition() -> None:
    prompt = {
        "1": node("CheckpointLoaderSimple", ckpt_name="m.safetensors"),
        "2": node("MyFancyEncoder", clip=["1", 1], text="a"),
        "3": node("MyFancyEncoder", clip=["1", 1], text="b"),
        "4": node("MyPairPatch", positive=["3", 0], negative=["2", 0], strength=0.5),
        "5": node("EmptyLatentImage", width=512, height=512, batch_size=1),
        "6": node("KSampler", model=["1", 0], positive=["4", 1], negative=["4", 0], latent_image=["5", 0], seed=1, steps=20,
                  cfg=8.0, sampler_name="euler", scheduler="normal", denoise=1.0),
    }
    result = apply(prompt, {}, prompt_text="POS", negative_prompt="NEG")
    # Slot 1 of a node with positive+negative inputs is its negative side: it carries node 2's conditioning.
    assert (result.prompt["2"]["inputs"]["text"], result.prompt["3"]["inputs"]["text"]) == ("POS", "NEG")


def test_encoder_on_both_sides_gets_the_positive_text_with_a_warning() -> None:
    prompt = lying_titles()
    prompt["10"]["inputs"]["negative"] = ["2", 0]
    result = apply(prompt, {}, prompt_text="POS", negative_prompt="NEG")
    assert result.prompt["2"]["inputs"]["text"] == "POS"
    assert result.prompt["3"]["inputs"]["text"] == "old negative"  # no longer reachable from the sampler
    assert result.warnings == [
        "node 2 (CLIPTextEncode) feeds both a positive and a negative input; it gets the positive prompt",
        "negative prompt ignored: no text encoder is reachable from a sampler's negative input",
    ]


def base_and_refiner() -> dict[str, Any]:
    return {
        "1": node("CheckpointLoaderSimple", ckpt_name="base.safetensors"),
        "2": node("CheckpointLoaderSimple", ckpt_name="refiner.safetensors"),
        "3": node("CLIPTextEncodeSDXL", clip=["1", 1], width=1024, height=1024, crop_w=0, crop_h=0, target_width=1024,
                  target_height=1024, text_g="g", text_l="l"),
        "4": node("CLIPTextEncodeSDXL", clip=["1", 1], width=1024, height=1024, crop_w=0, crop_h=0, target_width=1024,
                  target_height=1024, text_g="ng", text_l="nl"),
        "5": node("CLIPTextEncodeSDXLRefiner", clip=["2", 1], ascore=6.0, width=1024, height=1024, text="r"),
        "6": node("CLIPTextEncodeSDXLRefiner", clip=["2", 1], ascore=2.5, width=1024, height=1024, text="nr"),
        "7": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "8": node("KSamplerAdvanced", model=["1", 0], positive=["3", 0], negative=["4", 0], latent_image=["7", 0],
                  add_noise="enable", noise_seed=11, steps=25, cfg=7.5, sampler_name="euler", scheduler="normal",
                  start_at_step=0, end_at_step=20, return_with_leftover_noise="enable"),
        "9": node("KSamplerAdvanced", model=["2", 0], positive=["5", 0], negative=["6", 0], latent_image=["8", 0],
                  add_noise="disable", noise_seed=22, steps=25, cfg=7.5, sampler_name="euler", scheduler="normal",
                  start_at_step=20, end_at_step=10000, return_with_leftover_noise="disable"),
        "10": node("VAEDecode", samples=["9", 0], vae=["2", 2]),
        "11": node("SaveImage", images=["10", 0], filename_prefix="x"),
    }


def test_base_and_refiner_both_get_prompt_seed_and_steps(object_info: dict[str, Any]) -> None:
    result = apply(base_and_refiner(), {"seed": -1, "steps": 30, "checkpoint_name": "base2.safetensors"},
                   prompt_text="P", negative_prompt="N", rng=random.Random(3))
    p = result.prompt
    seed = random_seed(random.Random(3))
    assert p["8"]["inputs"]["noise_seed"] == p["9"]["inputs"]["noise_seed"] == seed == result.parameters["seed"]
    assert p["8"]["inputs"]["steps"] == p["9"]["inputs"]["steps"] == 30
    assert (p["3"]["inputs"]["text_g"], p["3"]["inputs"]["text_l"], p["5"]["inputs"]["text"]) == ("P", "P", "P")
    assert (p["4"]["inputs"]["text_g"], p["4"]["inputs"]["text_l"], p["6"]["inputs"]["text"]) == ("N", "N", "N")
    # The refiner keeps its own checkpoint and its step window.
    assert p["1"]["inputs"]["ckpt_name"] == "base2.safetensors" and p["2"]["inputs"]["ckpt_name"] == "refiner.safetensors"
    assert (p["9"]["inputs"]["start_at_step"], p["8"]["inputs"]["end_at_step"]) == (20, 20)


def test_custom_step_window_on_advanced_sampler() -> None:
    result = apply(base_and_refiner(), {"8.end_at_step": 18, "9.start_at_step": 18})
    assert result.prompt["8"]["inputs"]["end_at_step"] == 18 and result.prompt["9"]["inputs"]["start_at_step"] == 18
    assert result.parameters["8.end_at_step"] == 18


def hires_fix() -> dict[str, Any]:
    return {
        "1": node("CheckpointLoaderSimple", ckpt_name="m.safetensors"),
        "2": node("CLIPTextEncode", text="p", clip=["1", 1]),
        "3": node("CLIPTextEncode", text="n", clip=["1", 1]),
        "4": node("EmptyLatentImage", width=512, height=512, batch_size=1),
        "5": node("KSampler", model=["1", 0], positive=["2", 0], negative=["3", 0], latent_image=["4", 0], seed=1, steps=20,
                  cfg=8.0, sampler_name="euler", scheduler="normal", denoise=1.0),
        "6": node("LatentUpscale", samples=["5", 0], upscale_method="nearest-exact", width=1024, height=1024, crop="disabled"),
        "7": node("KSampler", model=["1", 0], positive=["2", 0], negative=["3", 0], latent_image=["6", 0], seed=2, steps=10,
                  cfg=8.0, sampler_name="euler", scheduler="normal", denoise=0.5),
        "8": node("VAEDecode", samples=["7", 0], vae=["1", 2]),
        "9": node("SaveImage", images=["8", 0], filename_prefix="x"),
    }


def test_hires_fix_size_and_denoise_go_to_the_first_pass_only() -> None:
    result = apply(hires_fix(), {"width": 640, "height": 768, "denoise": 0.9, "seed": 5, "steps": 12})
    p = result.prompt
    assert p["4"]["inputs"] == {"width": 640, "height": 768, "batch_size": 1}
    assert (p["6"]["inputs"]["width"], p["6"]["inputs"]["height"]) == (1024, 1024)
    assert (p["5"]["inputs"]["denoise"], p["7"]["inputs"]["denoise"]) == (0.9, 0.5)
    assert p["5"]["inputs"]["seed"] == p["7"]["inputs"]["seed"] == 5
    assert p["5"]["inputs"]["steps"] == p["7"]["inputs"]["steps"] == 12
    assert result.parameters["denoise"] == 0.9


def custom_advanced() -> dict[str, Any]:
    """A Flux-style SamplerCustomAdvanced graph, plus stray nodes no sampler uses."""
    return {
        "1": node("UNETLoader", unet_name="flux.safetensors", weight_dtype="default"),
        "2": node("DualCLIPLoader", clip_name1="t5.safetensors", clip_name2="l.safetensors", type="flux", device="default"),
        "3": node("CLIPTextEncodeFlux", clip=["2", 0], clip_l="a", t5xxl="b", guidance=3.5),
        "4": node("CLIPTextEncode", clip=["2", 0], text="neg"),
        "5": node("RandomNoise", noise_seed=1),
        "6": node("CFGGuider", model=["1", 0], positive=["3", 0], negative=["4", 0], cfg=3.0),
        "7": node("KSamplerSelect", sampler_name="euler"),
        "8": node("BasicScheduler", model=["1", 0], scheduler="simple", steps=20, denoise=1.0),
        "9": node("EmptySD3LatentImage", width=1024, height=1024, batch_size=1),
        "10": node("SamplerCustomAdvanced", noise=["5", 0], guider=["6", 0], sampler=["7", 0], sigmas=["8", 0],
                   latent_image=["9", 0]),
        "11": node("VAELoader", vae_name="ae.safetensors"),
        "12": node("VAEDecode", samples=["10", 0], vae=["11", 0]),
        "13": node("SaveImage", images=["12", 0], filename_prefix="flux"),
        "20": node("RandomNoise", noise_seed=777),
        "21": node("KSamplerSelect", sampler_name="heun"),
        "22": node("CLIPTextEncode", clip=["2", 0], text="stray"),
    }


def test_sampler_custom_advanced_parts_are_found_by_tracing(object_info: dict[str, Any]) -> None:
    params = {"seed": 99, "cfg_scale": 2.5, "sampler_name": "dpmpp_2m", "steps": 8, "scheduler": "beta", "denoise": 0.8,
              "width": 768, "height": 1344, "batch_size": 2, "vae_name": "ae.safetensors"}
    info = dict(object_info)
    info["VAELoader"] = copy.deepcopy(object_info["VAELoader"])
    info["VAELoader"]["input"]["required"]["vae_name"] = [["ae.safetensors"], {}]
    result = apply(custom_advanced(), params, prompt_text="P", negative_prompt="N", object_info=info)
    p = result.prompt
    assert p["5"]["inputs"]["noise_seed"] == 99 and p["6"]["inputs"]["cfg"] == 2.5
    assert p["7"]["inputs"]["sampler_name"] == "dpmpp_2m"
    assert p["8"]["inputs"] == {"model": ["1", 0], "scheduler": "beta", "steps": 8, "denoise": 0.8}
    assert p["9"]["inputs"] == {"width": 768, "height": 1344, "batch_size": 2}
    assert (p["3"]["inputs"]["clip_l"], p["3"]["inputs"]["t5xxl"], p["4"]["inputs"]["text"]) == ("P", "P", "N")
    # Nodes of the same classes that no sampler uses are left alone.
    assert (p["20"]["inputs"]["noise_seed"], p["21"]["inputs"]["sampler_name"], p["22"]["inputs"]["text"]) == (777, "heun", "stray")
    assert result.parameters == {**params, "loras": []}


def test_unet_loader_is_not_a_checkpoint() -> None:
    result = apply(custom_advanced(), {"checkpoint_name": "sd_xl_base_1.0.safetensors", "1.unet_name": "other.safetensors"})
    assert result.prompt["1"]["inputs"]["unet_name"] == "other.safetensors"
    assert "checkpoint_name" not in result.parameters
    assert result.warnings == ["checkpoint_name ignored: the workflow has no node that takes it"]


def test_sampler_custom_with_its_own_seed_and_cfg() -> None:
    prompt = custom_advanced()
    prompt["10"] = node("SamplerCustom", model=["1", 0], add_noise=True, noise_seed=3, cfg=4.0, positive=["3", 0],
                        negative=["4", 0], sampler=["7", 0], sigmas=["8", 0], latent_image=["9", 0])
    result = apply(prompt, {"seed": 8, "cfg_scale": 6.0, "steps": 9}, prompt_text="P")
    p = result.prompt
    assert (p["10"]["inputs"]["noise_seed"], p["10"]["inputs"]["cfg"], p["8"]["inputs"]["steps"]) == (8, 6.0, 9)
    assert p["6"]["inputs"]["cfg"] == 3.0  # the guider is no longer used by any sampler
    assert p["3"]["inputs"]["clip_l"] == "P"


# -- the conversion examples --------------------------------------------------------
def test_sdxl_simple(reference_dir: Path) -> None:
    result = apply(load(reference_dir, "image_sdxl_simple"), {"seed": 4, "steps": 10}, prompt_text="P", negative_prompt="N")
    p = result.prompt
    assert (p["10"]["inputs"]["text"], p["11"]["inputs"]["text"]) == ("P", "N")
    assert (p["12"]["inputs"]["seed"], p["12"]["inputs"]["steps"]) == (4, 10)


def test_z_image_turbo_negative_is_zeroed_out(reference_dir: Path) -> None:
    result = apply(load(reference_dir, "image_z_image_turbo_fun_union_controlnet"), {"seed": 1}, prompt_text="P",
                   negative_prompt="N")
    assert result.prompt["70:45"]["inputs"]["text"] == "P"
    assert result.prompt["70:44"]["inputs"]["seed"] == 1
    assert result.warnings == ["negative prompt ignored: no text encoder is reachable from a sampler's negative input"]


def test_newbieimage_linked_prompt_is_replaced_with_a_warning(reference_dir: Path) -> None:
    result = apply(load(reference_dir, "image_newbieimage_exp0_1-t2i"), {}, prompt_text="P", negative_prompt="N")
    assert result.prompt["41:53"]["inputs"]["text"] == "P" and result.prompt["41:54"]["inputs"]["text"] == "N"
    assert result.warnings == ["node 41:53 (CLIPTextEncode) input 'text' was linked to node 46; it now gets the prompt"]


def test_scene_angles_every_sampler_gets_seed_and_prompt(reference_dir: Path) -> None:
    prompt = load(reference_dir, "templates-1_click_multiple_scene_angles-v1.0")
    result = apply(prompt, {"seed": -1, "steps": 6}, prompt_text="P", negative_prompt="N", rng=random.Random(1))
    samplers = [n for n, v in result.prompt.items() if v["class_type"] == "KSampler"]
    assert len(samplers) == 8
    assert {result.prompt[s]["inputs"]["seed"] for s in samplers} == {random_seed(random.Random(1))}
    assert {result.prompt[s]["inputs"]["steps"] for s in samplers} == {6}
    for s in samplers:
        pos, neg = result.prompt[s]["inputs"]["positive"][0], result.prompt[s]["inputs"]["negative"][0]
        assert (result.prompt[pos]["inputs"]["prompt"], result.prompt[neg]["inputs"]["prompt"]) == ("P", "N")
    assert len(result.warnings) == 8  # each positive prompt was linked to its own primitive


def test_tripo_has_no_sampler(reference_dir: Path) -> None:
    prompt = load(reference_dir, "api_tripo3_1_multiview_to_model")
    result = apply(prompt, {"47.model_seed": 5, "seed": 3})
    assert result.prompt["47"]["inputs"]["model_seed"] == 5
    assert result.parameters == {"47.model_seed": 5}
    assert result.warnings == ["seed ignored: the workflow has no node that takes it"]
    with pytest.raises(ParameterError) as caught:
        apply(prompt, {}, prompt_text="a castle")
    assert str(caught.value) == (
        "the workflow has no positive prompt encoder: no text encoder is reachable from a sampler's positive input"
    )


def test_empty_prompt_text_is_still_written(reference_dir: Path) -> None:
    result = apply(load(reference_dir, "image_sdxl_simple"), {}, prompt_text="", negative_prompt="")
    assert (result.prompt["10"]["inputs"]["text"], result.prompt["11"]["inputs"]["text"]) == ("", "")
