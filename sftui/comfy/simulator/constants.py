"""Fixed facts the simulator reports: versions, model files, folders, features."""

from __future__ import annotations

import os
import sys
from typing import Any

import sftui

COMFYUI_VERSION = "0.3.64"
FRONTEND_VERSION = "1.27.10"
TEMPLATES_VERSION = "0.1.95"
MAX_UPLOAD_SIZE = 104857600

# The example names of the design document (§7.3); VAELoader adds "pixel_space" itself.
MODEL_FILES: dict[str, list[str]] = {
    "checkpoints": [
        "sd_xl_base_1.0.safetensors",
        "sd_xl_refiner_1.0.safetensors",
        "v1-5-pruned-emaonly.safetensors",
    ],
    "loras": ["detail_tweaker_xl.safetensors", "add_brightness.safetensors"],
    "vae": ["sdxl_vae.safetensors"],
}

# Same order as the real server's GET /models.
MODEL_FOLDERS = [
    "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision",
    "style_models", "embeddings", "diffusers", "vae_approx", "controlnet", "gligen", "upscale_models",
    "custom_nodes", "hypernetworks", "photomaker", "classifiers", "model_patches", "audio_encoders",
]

# (node class or "*", input name) -> model folder whose file list fills the COMBO.
MODEL_INPUTS: dict[tuple[str, str], str] = {
    ("*", "ckpt_name"): "checkpoints",
    ("*", "lora_name"): "loras",
    ("*", "vae_name"): "vae",
    ("*", "unet_name"): "diffusion_models",
    ("*", "control_net_name"): "controlnet",
    ("*", "style_model_name"): "style_models",
    ("*", "gligen_name"): "gligen",
    ("*", "hypernetwork_name"): "hypernetworks",
    ("*", "photomaker_model_name"): "photomaker",
    ("*", "clip_name"): "text_encoders",
    ("*", "clip_name1"): "text_encoders",
    ("*", "clip_name2"): "text_encoders",
    ("*", "clip_name3"): "text_encoders",
    ("*", "clip_name4"): "text_encoders",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("DiffusersLoader", "model_path"): "diffusers",
    ("ModelPatchLoader", "name"): "model_patches",
}

# Inputs whose list the real loader extends after the folder's files.
MODEL_LIST_SUFFIX: dict[tuple[str, str], list[str]] = {("VAELoader", "vae_name"): ["pixel_space"]}

FEATURES: dict[str, Any] = {"supports_preview_metadata": True, "max_upload_size": MAX_UPLOAD_SIZE}

EXTENSIONS = [
    "/extensions/core/groupNode.js",
    "/extensions/core/maskEditorOld.js",
    "/extensions/core/clipspace.js",
    "/extensions/core/maskEditorLayerFilenames.js",
    "/extensions/core/widgetInputs.js",
    "/extensions/core/groupNodeManage.js",
    "/extensions/core/load3d/NodeStorage.js",
    "/extensions/core/load3d/ViewHelperManager.js",
    "/extensions/core/load3d/ControlsManager.js",
    "/extensions/core/load3d/RecordingManager.js",
    "/extensions/core/load3d/ModelExporter.js",
    "/extensions/core/load3d/AnimationManager.js",
    "/extensions/core/load3d/LoaderManager.js",
    "/extensions/core/load3d/LightingManager.js",
    "/extensions/core/load3d/CameraManager.js",
    "/extensions/core/load3d/SceneModelManager.js",
    "/extensions/core/load3d/SceneManager.js",
    "/extensions/core/load3d/PreviewManager.js",
    "/extensions/core/load3d/EventManager.js",
]

SIMULATOR_ARGV0 = "sftui-simulator"


def _memory() -> tuple[int, int]:
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_PHYS_PAGES") * page, os.sysconf("SC_AVPHYS_PAGES") * page
    except (ValueError, OSError, AttributeError):
        return 17179869184, 8589934592


def system_stats(host: str, port: int) -> dict[str, Any]:
    """GET /system_stats; ``argv`` and ``sftui_simulator`` tell a client it is not a real ComfyUI."""
    total, free = _memory()
    return {
        "system": {
            "os": os.name,
            "ram_total": total,
            "ram_free": free,
            "comfyui_version": COMFYUI_VERSION,
            "required_frontend_version": FRONTEND_VERSION,
            "installed_templates_version": TEMPLATES_VERSION,
            "required_templates_version": TEMPLATES_VERSION,
            "python_version": sys.version,
            "pytorch_version": "2.13.0+cpu",
            "embedded_python": False,
            "argv": [SIMULATOR_ARGV0, "--cpu", "--listen", host, "--port", str(port)],
            "sftui_simulator": {"version": sftui.__version__},
        },
        "devices": [
            {
                "name": "cpu",
                "type": "cpu",
                "index": None,
                "vram_total": total,
                "vram_free": free,
                "torch_vram_total": total,
                "torch_vram_free": free,
            }
        ],
    }
