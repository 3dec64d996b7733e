from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftui.workflows.apply import apply_parameters
from sftui.workflows.defaults import default_workflow
from sftui.workflows.graph import Graph, check_prompt


def test_default_workflow_is_a_fresh_copy_each_call() -> None:
    first = default_workflow()
    first["3"]["inputs"]["steps"] = 99
    first["10"] = {"class_type": "X", "inputs": {}}
    second = default_workflow()
    assert second["3"]["inputs"]["steps"] == 20
    assert "10" not in second


def test_default_workflow_shape() -> None:
    wf = default_workflow()
    check_prompt(wf)
    classes = sorted(node["class_type"] for node in wf.values())
    assert classes == sorted(
        ["CheckpointLoaderSimple", "CLIPTextEncode", "CLIPTextEncode", "EmptyLatentImage", "KSampler", "VAEDecode", "SaveImage"]
    )
    assert all(node["_meta"]["title"] for node in wf.values())
    by_class = {node["class_type"]: node["inputs"] for node in wf.values()}
    assert by_class["SaveImage"]["filename_prefix"] == "sftui"
    assert (by_class["EmptyLatentImage"]["width"], by_class["EmptyLatentImage"]["height"]) == (1024, 1024)
    ks = by_class["KSampler"]
    assert (ks["steps"], ks["cfg"], ks["sampler_name"], ks["scheduler"], ks["seed"]) == (20, 7.0, "euler", "normal", 0)


def test_default_workflow_is_wired_end_to_end() -> None:
    wf = default_workflow()
    g = Graph(wf)
    save = next(n for n in wf if wf[n]["class_type"] == "SaveImage")
    decode = g.link(save, "images")[0]
    sampler = g.link(decode, "samples")[0]
    assert wf[sampler]["class_type"] == "KSampler"
    for name, cls in (("model", "CheckpointLoaderSimple"), ("positive", "CLIPTextEncode"), ("latent_image", "EmptyLatentImage")):
        assert wf[g.link(sampler, name)[0]]["class_type"] == cls


def test_default_workflow_validates_against_the_real_object_info(reference_dir: Path) -> None:
    info = json.loads((reference_dir / "object_info.json").read_text())
    # The reference server has no checkpoints installed; pretend it has the default one.
    info["CheckpointLoaderSimple"] = {**info["CheckpointLoaderSimple"]}
    info["CheckpointLoaderSimple"]["input"] = {"required": {"ckpt_name": [["sd_xl_base_1.0.safetensors"], {}]}}
    applied = apply_parameters(default_workflow(), {}, object_info=info, prompt_text="a cat")
    assert applied.parameters["checkpoint_name"] == "sd_xl_base_1.0.safetensors"
