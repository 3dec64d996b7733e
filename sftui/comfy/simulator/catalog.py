"""The node catalogue: a captured ``/object_info`` with the simulator's model files filled in.

Validation, execution order and the served ``/object_info`` all read node
definitions from here, so they can never disagree with each other.
"""

from __future__ import annotations

import copy
import gzip
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from sftui.comfy.simulator.constants import MODEL_FILES, MODEL_FOLDERS, MODEL_INPUTS, MODEL_LIST_SUFFIX

# Inputs listing the files of the input directory (LoadImage & co.).
INPUT_FILE_INPUTS = {("LoadImage", "image"), ("LoadImageMask", "image")}


@lru_cache(maxsize=1)
def _captured_object_info() -> dict[str, Any]:
    data = resources.files("sftui.comfy.simulator").joinpath("data/object_info.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))


def model_folder(class_type: str, input_name: str) -> str | None:
    return MODEL_INPUTS.get((class_type, input_name)) or MODEL_INPUTS.get(("*", input_name))


def model_files(folder: str) -> list[str]:
    return list(MODEL_FILES.get(folder, []))


def _set_combo(spec: list[Any], options: list[str]) -> None:
    """Fill both COMBO spellings: ``[[...], {...}]`` and ``["COMBO", {"options": [...]}]``."""
    if isinstance(spec[0], list):
        spec[0] = list(options)
    elif spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        spec[1]["options"] = list(options)


def _patch_models(info: dict[str, Any]) -> None:
    for class_type, node in info.items():
        for category in ("required", "optional"):
            for name, spec in node["input"].get(category, {}).items():
                folder = model_folder(class_type, name)
                if folder is None or not MODEL_FILES.get(folder):
                    continue
                _set_combo(spec, model_files(folder) + MODEL_LIST_SUFFIX.get((class_type, name), []))


class Catalog:
    """Node definitions; one instance per simulator because uploads change LoadImage's list."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = copy.deepcopy(_captured_object_info())
        _patch_models(self.info)

    def __contains__(self, class_type: object) -> bool:
        return class_type in self.info

    def get(self, class_type: Any) -> dict[str, Any] | None:
        return self.info.get(class_type)

    def set_input_files(self, files: list[str]) -> None:
        for class_type, name in INPUT_FILE_INPUTS:
            node = self.info.get(class_type)
            if node is not None:
                _set_combo(node["input"]["required"][name], sorted(files))

    def input_types(self, class_type: str) -> dict[str, dict[str, Any]]:
        return self.info[class_type]["input"]

    def input_info(self, class_type: str, name: str) -> tuple[Any, str | None, dict[str, Any]]:
        """(type, category, extra) like ComfyUI's ``get_input_info``; (None, None, {}) if unknown."""
        inputs = self.input_types(class_type)
        for category in ("required", "optional", "hidden"):
            if name in inputs.get(category, {}):
                spec = inputs[category][name]
                if category == "hidden":
                    return spec, category, {}
                extra = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
                return spec[0], category, extra
        return None, None, {}

    def output_types(self, class_type: str) -> tuple[Any, ...]:
        return tuple(self.info[class_type]["output"])

    def is_output(self, class_type: str) -> bool:
        return bool(self.info[class_type].get("output_node"))

    def is_async(self, class_type: str) -> bool:
        # API nodes are the async ones in core ComfyUI; ExecutionList starts them first.
        return bool(self.info[class_type].get("api_node"))

    def hidden(self, class_type: str) -> dict[str, str]:
        return dict(self.input_types(class_type).get("hidden", {}))


def model_folders() -> list[str]:
    return list(MODEL_FOLDERS)
