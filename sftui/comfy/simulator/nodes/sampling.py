"""Model nodes: loaders and encoders hand out digests; samplers "paint" a procedural picture.

A sampler's picture is a pure function of its seed, steps, cfg, sampler,
scheduler, denoise, model and the prompt texts reaching it, so the same
inputs give byte-identical files. Sampling reports one progress step (plus a
JPEG preview) per step, paced by ``step_delay``, and is interruptible per step.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PIL import Image

from sftui.comfy.simulator import render
from sftui.comfy.simulator.nodes.base import NodeContext, NodeResult, int_input, node
from sftui.comfy.simulator.nodes.images import node_digest
from sftui.comfy.simulator.values import Handle, Images, Latent, digest

_DEFAULT_STEPS = 20
#: Distinct preview frames a sampler run sends at most (each level is encoded once).
PREVIEW_LEVELS = 64


def _handle(ctx: NodeContext, kind: str, inputs: dict[str, Any], texts: tuple[str, ...] = ()) -> Handle:
    return Handle(kind, digest(kind, node_digest(ctx, inputs)), texts)


@node("CheckpointLoaderSimple", "CheckpointLoader", "ImageOnlyCheckpointLoader", "unCLIPCheckpointLoader")
def checkpoint_loader(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    outputs = tuple(_handle(ctx, str(kind), inputs) for kind in ctx.output_types())
    return NodeResult(outputs)


@node("LoraLoader", "LoraLoaderModelOnly")
def lora_loader(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    return NodeResult(tuple(_handle(ctx, str(kind), inputs) for kind in ctx.output_types()))


@node("CLIPTextEncode")
def clip_text_encode(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    return NodeResult((_handle(ctx, "CONDITIONING", inputs, (str(inputs.get("text", "")),)),))


def _latent_size(inputs: dict[str, Any]) -> tuple[int, int]:
    # A latent is 1/8 of the image; decoding gives back multiples of 8.
    width = max(8, int_input(inputs, "width", 512) // 8 * 8)
    height = max(8, int_input(inputs, "height", 512) // 8 * 8)
    return width, height


@node("EmptyLatentImage", "EmptySD3LatentImage", "EmptyHunyuanLatentVideo", "EmptyMochiLatentVideo")
def empty_latent(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    width, height = _latent_size(inputs)
    return NodeResult((Latent(width, height, int_input(inputs, "batch_size", 1), node_digest(ctx, inputs)),))


def _texts(value: Any) -> tuple[str, ...]:
    return value.texts if isinstance(value, Handle) else ()


def _paint(seed: str, latent: Latent, denoise: float) -> list[Image.Image]:
    pictures = []
    for index in range(latent.batch):
        picture = render.render(f"{seed}/{index}", latent.width, latent.height)
        if latent.images and denoise < 1.0:
            source = latent.images[min(index, len(latent.images) - 1)].convert("RGB").resize(picture.size)
            picture = Image.blend(source, picture, max(0.0, denoise))
        pictures.append(picture)
    return pictures


async def _sample(ctx: NodeContext, latent: Latent, seed: str, steps: int, denoise: float) -> Latent:
    pictures = await asyncio.to_thread(_paint, seed, latent, denoise)
    start = render.noise(seed, max(1, latent.width // 8), max(1, latent.height // 8))
    # One JPEG per preview level, not per step: a run of thousands of steps would
    # otherwise keep a core busy encoding frames a client shows ten times a second.
    frames: dict[int, bytes] = {}
    for step in range(1, steps + 1):
        await asyncio.sleep(ctx.services.step_delay)
        level = -(-step * PREVIEW_LEVELS // steps)  # rounded up: the last step is the finished picture
        frame = frames.get(level)
        if frame is None:
            frame = frames[level] = await asyncio.to_thread(render.preview_frame, pictures[0], start, level / PREVIEW_LEVELS)
        await ctx.services.report_progress(ctx.node_id, step, steps, ("JPEG", frame))
    return Latent(latent.width, latent.height, latent.batch, digest("sampled", seed), pictures)


def _seed(ctx: NodeContext, inputs: dict[str, Any], names: tuple[str, ...]) -> str:
    """The picture's identity: the named settings plus everything linked in (with prompt texts)."""
    settings = {name: inputs.get(name) for name in names}
    linked = {k: (v.digest, _texts(v)) for k, v in inputs.items() if hasattr(v, "digest")}
    return digest(ctx.class_type, settings, linked)


@node("KSampler")
async def ksampler(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    latent: Latent = inputs["latent_image"]
    seed = _seed(ctx, inputs, ("seed", "steps", "cfg", "sampler_name", "scheduler", "denoise"))
    denoise = float(inputs.get("denoise", 1.0))
    return NodeResult((await _sample(ctx, latent, seed, int_input(inputs, "steps", _DEFAULT_STEPS), denoise),))


@node("KSamplerAdvanced")
async def ksampler_advanced(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    latent: Latent = inputs["latent_image"]
    steps = int_input(inputs, "steps", _DEFAULT_STEPS)
    start, end = int_input(inputs, "start_at_step", 0), int_input(inputs, "end_at_step", steps)
    names = ("noise_seed", "steps", "cfg", "sampler_name", "scheduler", "start_at_step", "end_at_step", "add_noise")
    denoise = 1.0 if start <= 0 else max(0.0, 1.0 - start / max(1, steps))
    return NodeResult((await _sample(ctx, latent, _seed(ctx, inputs, names), max(0, min(end, steps) - start), denoise),))


def _sigma_steps(value: Any) -> int:
    return value.steps if isinstance(value, Handle) and value.steps else _DEFAULT_STEPS


@node("SamplerCustom")
async def sampler_custom(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    latent: Latent = inputs["latent_image"]
    seed = _seed(ctx, inputs, ("noise_seed", "cfg", "add_noise"))
    result = await _sample(ctx, latent, seed, _sigma_steps(inputs.get("sigmas")), 1.0)
    return NodeResult((result, result))


@node("SamplerCustomAdvanced")
async def sampler_custom_advanced(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    latent: Latent = inputs["latent_image"]
    result = await _sample(ctx, latent, _seed(ctx, inputs, ()), _sigma_steps(inputs.get("sigmas")), 1.0)
    return NodeResult((result, result))


@node("VAEDecode", "VAEDecodeTiled")
def vae_decode(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    latent: Latent = inputs["samples"]
    if latent.images is None:
        # An unsampled latent decodes to a flat grey, as with a real VAE.
        frames = [Image.new("RGB", (latent.width, latent.height), (124, 118, 110))] * latent.batch
    else:
        frames = list(latent.images)
    return NodeResult((Images(frames, digest("decoded", latent.digest)),))


@node("VAEEncode")
def vae_encode(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["pixels"]
    width, height = (max(8, d // 8 * 8) for d in images.size)
    frames = [f.convert("RGB").resize((width, height)) for f in images.frames]
    return NodeResult((Latent(width, height, len(frames), digest("encoded", images.digest), frames),))


@node("LatentUpscale", "LatentUpscaleBy")
def latent_upscale(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    latent: Latent = inputs["samples"]
    factor = float(inputs.get("scale_by") or 1.0)
    width = int_input(inputs, "width", round(latent.width * factor)) or latent.width
    height = int_input(inputs, "height", round(latent.height * factor)) or latent.height
    width, height = max(8, width // 8 * 8), max(8, height // 8 * 8)
    images = [f.resize((width, height), Image.Resampling.BILINEAR) for f in latent.images] if latent.images else None
    return NodeResult((Latent(width, height, latent.batch, node_digest(ctx, inputs), images),))


@node("BasicScheduler", "KarrasScheduler", "ExponentialScheduler", "PolyexponentialScheduler", "BetaSamplingScheduler", "SDTurboScheduler", "AlignYourStepsScheduler")
def scheduler(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    steps = int_input(inputs, "steps", 1 if ctx.class_type == "SDTurboScheduler" else _DEFAULT_STEPS)
    return NodeResult((Handle("SIGMAS", node_digest(ctx, inputs), steps=steps),))
