"""Output nodes: SaveImage/PreviewImage write real PNGs named and tagged as ComfyUI does."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

from PIL import Image

from sftui.comfy.simulator import render
from sftui.comfy.simulator.nodes.base import NodeContext, NodeResult, node
from sftui.comfy.simulator.values import Images, Mask

# ComfyUI's PreviewImage alphabet, typo ("p" twice, no "w") included.
_TEMP_ALPHABET = "abcdefghijklmnopqrstupvxyz"
_names = random.Random()


def _expand(prefix: str, width: int, height: int) -> str:
    now = time.localtime()
    for key, value in (
        ("%width%", str(width)), ("%height%", str(height)), ("%year%", str(now.tm_year)),
        ("%month%", f"{now.tm_mon:02}"), ("%day%", f"{now.tm_mday:02}"), ("%hour%", f"{now.tm_hour:02}"),
        ("%minute%", f"{now.tm_min:02}"), ("%second%", f"{now.tm_sec:02}"),
    ):
        prefix = prefix.replace(key, value)
    return prefix


def save_image_path(prefix: str, output_dir: Path, width: int, height: int) -> tuple[Path, str, int, str]:
    """ComfyUI's ``get_save_image_path``: (folder, file stem, next counter, subfolder)."""
    if "%" in prefix:
        prefix = _expand(prefix, width, height)
    base = os.path.abspath(output_dir)
    subfolder = os.path.dirname(os.path.normpath(prefix))
    stem = os.path.basename(os.path.normpath(prefix))
    folder = os.path.join(base, subfolder)
    if os.path.commonpath((base, os.path.abspath(folder))) != base:
        raise Exception(
            "**** ERROR: Saving image outside the output folder is not allowed."
            f"\n full_output_folder: {os.path.abspath(folder)}\n         output_dir: {base}"
        )
    counters = []
    try:
        for name in os.listdir(folder):
            # "<stem>_<digits>_..." files count, compared case-insensitively like os.path.normcase on Windows.
            head, rest = name[: len(stem) + 1], name[len(stem) + 1:]
            if head[:-1] == stem and head[-1:] == "_":
                try:
                    counters.append(int(rest.split("_")[0]))
                except ValueError:
                    counters.append(0)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    return Path(folder), stem, (max(counters) + 1 if counters else 1), subfolder


def _save(frames: list[Image.Image], prefix: str, directory: Path, kind: str, compress: int, prompt: Any, extra: Any) -> dict[str, Any]:
    folder, stem, counter, subfolder = save_image_path(prefix, directory, frames[0].size[0], frames[0].size[1])
    results = []
    for batch_number, frame in enumerate(frames):
        name = f"{stem.replace('%batch_num%', str(batch_number))}_{counter:05}_.png"
        (folder / name).write_bytes(render.png_bytes(frame, prompt, extra, compress))
        results.append({"filename": name, "subfolder": subfolder, "type": kind})
        counter += 1
    return {"images": results}


@node("SaveImage")
def save_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["images"]
    prefix = str(inputs.get("filename_prefix", "ComfyUI"))
    ui = _save(images.frames, prefix, ctx.services.output_dir, "output", 4, inputs.get("prompt"), inputs.get("extra_pnginfo"))
    return NodeResult((), ui)


def _temp_prefix(ctx: NodeContext) -> str:
    # One random suffix per node object, which ComfyUI keeps while the node id lives.
    if "temp_prefix" not in ctx.state:
        ctx.state["temp_prefix"] = "ComfyUI_temp_" + "".join(_names.choice(_TEMP_ALPHABET) for _ in range(5))
    return str(ctx.state["temp_prefix"])


@node("PreviewImage")
def preview_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["images"]
    ui = _save(images.frames, _temp_prefix(ctx), ctx.services.temp_dir, "temp", 1, inputs.get("prompt"), inputs.get("extra_pnginfo"))
    return NodeResult((), ui)


@node("MaskPreview")
def mask_preview(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    mask: Mask = inputs["mask"]
    frames = [Image.merge("RGB", (f, f, f)) for f in mask.frames]
    ui = _save(frames, _temp_prefix(ctx), ctx.services.temp_dir, "temp", 1, inputs.get("prompt"), inputs.get("extra_pnginfo"))
    return NodeResult((), ui)


@node("SaveImageWebsocket")
async def save_image_websocket(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["images"]
    total = len(images.frames)
    for step, frame in enumerate(images.frames):
        await ctx.services.report_progress(ctx.node_id, step, total, ("PNG", render.png_plain(frame)))
    return NodeResult((), None)


@node("PreviewAny")
def preview_any(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    source = inputs.get("source")
    if isinstance(source, str):
        text = source
    elif isinstance(source, (int, float, bool)):
        text = str(source)
    elif source is None:
        text = "None"
    else:
        try:
            text = json.dumps(source)
        except (TypeError, ValueError):
            text = str(source)
    return NodeResult((), {"text": [text]})
