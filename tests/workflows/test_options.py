from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sftui.errors import ObjectInfoUnavailable
from sftui.workflows.options import build_options


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict[str, Any]:
    return json.loads((reference_dir / "object_info.json").read_text())


def test_lists_come_from_the_node_definitions(object_info: dict[str, Any]) -> None:
    info = dict(object_info)
    info["LoraLoader"] = json.loads(json.dumps(object_info["LoraLoader"]))
    info["LoraLoader"]["input"]["required"]["lora_name"] = [["detail.safetensors", "bright.safetensors"], {}]
    # The newer COMBO form must be read too.
    info["VAELoader"] = {"input": {"required": {"vae_name": ["COMBO", {"options": ["ae.safetensors"]}]}}, "output": ["VAE"]}
    options = build_options(info)
    required = object_info["KSampler"]["input"]["required"]
    assert options["samplers"] == required["sampler_name"][0] and "dpmpp_2m" in options["samplers"]
    assert options["schedulers"] == required["scheduler"][0] and "karras" in options["schedulers"]
    assert options["checkpoints"] == [] and options["unets"] == []  # the reference server has no models
    assert options["loras"] == ["detail.safetensors", "bright.safetensors"]
    assert options["vaes"] == ["ae.safetensors"]


def test_dimensions() -> None:
    dims = build_options({})["dimensions"]
    assert dims["common"] == [512, 768, 1024, 1280, 1536, 2048]
    assert [(p["width"], p["height"], p["label"]) for p in dims["sdxl_optimal"]] == [
        (1024, 1024, "1:1 Square"), (1152, 896, "9:7 Landscape"), (896, 1152, "7:9 Portrait"),
        (1216, 832, "3:2 Landscape"), (832, 1216, "2:3 Portrait")]
    assert all(p["label"].startswith("SD1.5 ") and p["width"] % 64 == 0 and p["height"] % 64 == 0 for p in dims["sd15"])


def test_missing_nodes_give_empty_lists_and_results_are_independent() -> None:
    first = build_options({})
    assert all(first[k] == [] for k in ("samplers", "schedulers", "checkpoints", "loras", "vaes", "unets"))
    first["dimensions"]["sdxl_optimal"][0]["width"] = 1
    first["dimensions"]["common"].append(9)
    assert build_options({})["dimensions"]["sdxl_optimal"][0]["width"] == 1024
    assert build_options({})["dimensions"]["common"][-1] == 2048


def test_object_info_must_be_a_dict() -> None:
    with pytest.raises(ObjectInfoUnavailable, match="object_info must be a JSON object, not list"):
        build_options([])  # type: ignore[arg-type]
