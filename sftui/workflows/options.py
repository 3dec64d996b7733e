"""Choices for the parameter panel, read from a server's object_info (§7.3)."""

from __future__ import annotations

from typing import Any

from sftui.errors import ObjectInfoUnavailable
from sftui.workflows.nodedefs import NodeDefs

COMMON_DIMENSIONS = [512, 768, 1024, 1280, 1536, 2048]

SDXL_PRESETS = [
    {"width": 1024, "height": 1024, "label": "1:1 Square"},
    {"width": 1152, "height": 896, "label": "9:7 Landscape"},
    {"width": 896, "height": 1152, "label": "7:9 Portrait"},
    {"width": 1216, "height": 832, "label": "3:2 Landscape"},
    {"width": 832, "height": 1216, "label": "2:3 Portrait"},
]

SD15_PRESETS = [
    {"width": 512, "height": 512, "label": "SD1.5 1:1 Square"},
    {"width": 768, "height": 512, "label": "SD1.5 3:2 Landscape"},
    {"width": 512, "height": 768, "label": "SD1.5 2:3 Portrait"},
    {"width": 640, "height": 448, "label": "SD1.5 10:7 Landscape"},
    {"width": 448, "height": 640, "label": "SD1.5 7:10 Portrait"},
]

# option list -> (node class, input) it is read from
_SOURCES = {
    "samplers": ("KSampler", "sampler_name"),
    "schedulers": ("KSampler", "scheduler"),
    "checkpoints": ("CheckpointLoaderSimple", "ckpt_name"),
    "loras": ("LoraLoader", "lora_name"),
    "vaes": ("VAELoader", "vae_name"),
    "unets": ("UNETLoader", "unet_name"),
}


def build_options(object_info: dict[str, Any]) -> dict[str, Any]:
    """Lists for the dropdowns; a node the server lacks gives an empty list."""
    if not isinstance(object_info, dict):
        raise ObjectInfoUnavailable(f"object_info must be a JSON object, not {type(object_info).__name__}")
    defs = NodeDefs(object_info)
    out: dict[str, Any] = {
        key: [str(option) for option in defs.combo_options(class_type, name)] for key, (class_type, name) in _SOURCES.items()
    }
    out["dimensions"] = {
        "common": list(COMMON_DIMENSIONS),
        "sdxl_optimal": [dict(p) for p in SDXL_PRESETS],
        "sd15": [dict(p) for p in SD15_PRESETS],
    }
    return out
