"""Pixel nodes that need no model: they compute real (small) results with PIL."""

from __future__ import annotations

import hashlib
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageOps

from sftui.comfy.simulator.nodes.base import NodeContext, NodeResult, int_input, node
from sftui.comfy.simulator.values import Images, Mask, digest

_RESAMPLE = {
    "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "area": Image.Resampling.BOX,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


def node_digest(ctx: NodeContext, inputs: dict[str, Any]) -> str:
    return digest(ctx.class_type, {k: v for k, v in inputs.items() if k not in ("prompt", "extra_pnginfo", "unique_id")})


def _invert(frame: Image.Image) -> Image.Image:
    # ComfyUI inverts every channel of the tensor, alpha included.
    return frame.point(lambda v: 255 - v)


@node("EmptyImage")
def empty_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    color = int_input(inputs, "color", 0)
    size = (int_input(inputs, "width", 512), int_input(inputs, "height", 512))
    frame = Image.new("RGB", size, ((color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF))
    return NodeResult((Images([frame] * int_input(inputs, "batch_size", 1), node_digest(ctx, inputs)),))


@node("ImageInvert")
def image_invert(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["image"]
    return NodeResult((Images([_invert(f) for f in images.frames], node_digest(ctx, inputs)),))


@node("ImageBlur")
def image_blur(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["image"]
    if int_input(inputs, "blur_radius", 1) == 0:
        return NodeResult((images,))
    sigma = float(inputs.get("sigma") or 1.0)
    return NodeResult((Images([f.filter(ImageFilter.GaussianBlur(sigma)) for f in images.frames], node_digest(ctx, inputs)),))


def _scale(frame: Image.Image, width: int, height: int, method: str, crop: str) -> Image.Image:
    if width == 0 and height == 0:
        return frame
    w, h = frame.size
    width = width or max(1, round(w * height / h))
    height = height or max(1, round(h * width / w))
    resample = _RESAMPLE.get(method, Image.Resampling.BILINEAR)
    if crop == "center":
        return ImageOps.fit(frame, (width, height), resample)
    return frame.resize((width, height), resample)


@node("ImageScale")
def image_scale(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["image"]
    width, height = int_input(inputs, "width", 0), int_input(inputs, "height", 0)
    frames = [_scale(f, width, height, str(inputs.get("upscale_method")), str(inputs.get("crop"))) for f in images.frames]
    return NodeResult((Images(frames, node_digest(ctx, inputs)),))


@node("ImageScaleBy")
def image_scale_by(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["image"]
    factor = float(inputs.get("scale_by") or 1.0)
    width, height = (max(1, round(d * factor)) for d in images.size)
    frames = [_scale(f, width, height, str(inputs.get("upscale_method")), "disabled") for f in images.frames]
    return NodeResult((Images(frames, node_digest(ctx, inputs)),))


@node("ImageBatch")
def image_batch(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    first: Images = inputs["image1"]
    second: Images = inputs["image2"]
    if first.channels != second.channels:
        # The message torch.cat gives ComfyUI for RGB + RGBA.
        raise RuntimeError(
            "Sizes of tensors must match except in dimension 0. "
            f"Expected size {first.channels} but got size {second.channels} for tensor number 1 in the list."
        )
    frames = [f if f.size == first.size else f.resize(first.size, Image.Resampling.BILINEAR) for f in second.frames]
    return NodeResult((Images(first.frames + frames, node_digest(ctx, inputs)),))


@node("SolidMask")
def solid_mask(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    level = round(max(0.0, min(1.0, float(inputs.get("value") or 0.0))) * 255)
    size = (int_input(inputs, "width", 512), int_input(inputs, "height", 512))
    return NodeResult((Mask([Image.new("L", size, level)], node_digest(ctx, inputs)),))


@node("InvertMask")
def invert_mask(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    mask: Mask = inputs["mask"]
    return NodeResult((Mask([_invert(f) for f in mask.frames], node_digest(ctx, inputs)),))


@node("JoinImageWithAlpha")
def join_image_with_alpha(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["image"]
    mask: Mask = inputs["alpha"]
    frames = []
    for index, frame in enumerate(images.frames):
        alpha = _invert(mask.frames[min(index, len(mask.frames) - 1)]).resize(frame.size, Image.Resampling.BILINEAR)
        joined = frame.convert("RGB")
        joined.putalpha(alpha)
        frames.append(joined)
    return NodeResult((Images(frames, node_digest(ctx, inputs)),))


@node("ImageToMask")
def image_to_mask(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["image"]
    channel = str(inputs.get("channel") or "red")[0].upper()
    frames = [f.getchannel(channel) if channel in f.getbands() else Image.new("L", f.size, 0) for f in images.frames]
    return NodeResult((Mask(frames, node_digest(ctx, inputs)),))


@node("MaskToImage")
def mask_to_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    mask: Mask = inputs["mask"]
    return NodeResult((Images([Image.merge("RGB", (f, f, f)) for f in mask.frames], node_digest(ctx, inputs)),))


@node("GetImageSize")
def get_image_size(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    images: Images = inputs["image"]
    return NodeResult((images.size[0], images.size[1], len(images.frames)))


@node("ImageCompositeMasked")
def image_composite_masked(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    destination: Images = inputs["destination"]
    source: Images = inputs["source"]
    x, y = int_input(inputs, "x", 0), int_input(inputs, "y", 0)
    mask: Mask | None = inputs.get("mask")
    frames = []
    for index, frame in enumerate(destination.frames):
        out = frame.copy()
        piece = source.frames[min(index, len(source.frames) - 1)].convert(out.mode)
        paste_mask = mask.frames[0].resize(piece.size) if mask is not None else None
        out.paste(piece, (x, y), paste_mask)
        frames.append(out)
    return NodeResult((Images(frames, node_digest(ctx, inputs)),))


@node("LoadImage")
def load_image(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    name = str(inputs["image"]).removesuffix(" [input]")
    path = ctx.services.input_dir / name
    with Image.open(path) as opened:
        opened.load()
        source = ImageOps.exif_transpose(opened)
    file_digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if "A" in source.getbands():
        mask = ImageChops.invert(source.getchannel("A"))
    else:
        mask = Image.new("L", (64, 64), 0)
    return NodeResult((Images([source.convert("RGB")], file_digest), Mask([mask], file_digest)))
