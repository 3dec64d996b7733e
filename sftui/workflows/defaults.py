"""The built-in text-to-image workflow used when a session has none selected.

An SDXL-sized API prompt (1024×1024, 20 steps, cfg 7, euler/normal, seed 0):
CheckpointLoaderSimple → CLIPTextEncode ×2 → EmptyLatentImage → KSampler →
VAEDecode → SaveImage("sftui"). It ships as package data so wheels carry it.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

DEFAULT_WORKFLOW_NAME = "Default text-to-image"


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    text = resources.files("sftui.workflows").joinpath("data/default_txt2img.json").read_text("utf-8")
    return json.loads(text)


def default_workflow() -> dict[str, Any]:
    """A fresh copy each call: callers may change it freely."""
    return copy.deepcopy(_load())
