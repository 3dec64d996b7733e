"""Procedural pictures standing in for diffusion output.

Everything is drawn with whole-image PIL operations (gradients, polygons,
resizes, blurs), never per-pixel Python, and is a pure function of a digest:
the same seed and parameters give the same pixels and the same PNG bytes.
"""

from __future__ import annotations

import colorsys
import io
import json
import math
import random
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageOps
from PIL.PngImagePlugin import PngInfo

PREVIEW_SIZE = 512
_RESAMPLE = Image.Resampling


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, max(0.0, min(1.0, saturation)), max(0.0, min(1.0, value)))
    return int(r * 255), int(g * 255), int(b * 255)


def _vertical_gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size, _RESAMPLE.BILINEAR)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)


def _ridge(rng: random.Random, width: int, height: int, base: float, roughness: float) -> list[tuple[float, float]]:
    """A hill silhouette: a few summed sines sampled at 48 points (not per pixel)."""
    waves = [(rng.uniform(0.5, 3.5), rng.uniform(0, math.tau), rng.uniform(0.3, 1.0)) for _ in range(3)]
    points = []
    for i in range(49):
        x = i / 48
        y = base + roughness * sum(a * math.sin(f * math.tau * x + p) for f, p, a in waves) / 3
        points.append((x * width, y * height))
    return points + [(width, height), (0, height)]


def render(seed: str, width: int, height: int) -> Image.Image:
    """An RGB landscape-like picture of ``width``×``height``, a pure function of ``seed``."""
    rng = random.Random(seed)
    size = (max(1, width), max(1, height))
    hue = rng.random()
    picture = _vertical_gradient(size, _colour(hue, 0.55, 0.35 + rng.random() * 0.3), _colour(hue + 0.08, 0.35, 0.95))
    # Sun or moon with a soft glow.
    sun = Image.new("L", size, 0)
    radius = (0.05 + rng.random() * 0.08) * min(size)
    cx, cy = rng.uniform(0.15, 0.85) * size[0], rng.uniform(0.12, 0.4) * size[1]
    ImageDraw.Draw(sun).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    glow = sun.filter(ImageFilter.GaussianBlur(max(1.0, radius * 0.6)))
    picture = Image.composite(Image.new("RGB", size, _colour(hue + 0.5, 0.25, 1.0)), picture, glow)
    # Hills, farther ones paler.
    layers = rng.randint(2, 4)
    for layer in range(layers):
        depth = (layer + 1) / layers
        shade = _colour(hue + 0.25 + rng.uniform(-0.08, 0.08), 0.3 + 0.4 * depth, 0.75 - 0.5 * depth)
        mask = Image.new("L", size, 0)
        ImageDraw.Draw(mask).polygon(_ridge(rng, size[0], size[1], 0.45 + 0.35 * depth, 0.12), fill=255)
        if layer < layers - 1:
            mask = mask.filter(ImageFilter.GaussianBlur(max(0.5, min(size) / 300 * (layers - layer))))
        picture = Image.composite(Image.new("RGB", size, shade), picture, mask)
    # Clouds of colour and a little grain, both from small random fields scaled up.
    clouds = Image.frombytes("RGB", (6, 6), rng.randbytes(108)).resize(size, _RESAMPLE.BICUBIC)
    picture = Image.blend(picture, clouds, 0.12)
    grain_size = (max(1, size[0] // 3), max(1, size[1] // 3))
    grain = Image.frombytes("L", grain_size, rng.randbytes(grain_size[0] * grain_size[1])).resize(size, _RESAMPLE.BILINEAR)
    return Image.blend(picture, Image.merge("RGB", (grain, grain, grain)), 0.05)


def noise(seed: str, width: int, height: int) -> Image.Image:
    """The starting noise of a sampler, at latent resolution."""
    rng = random.Random(seed + "/noise")
    size = (max(1, width), max(1, height))
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def preview_frame(final: Image.Image, start: Image.Image, fraction: float) -> bytes:
    """A latent-preview-like JPEG: the latent-sized blend of noise and result, scaled to fit 512."""
    small = final.convert("RGB").resize(start.size, _RESAMPLE.BILINEAR)
    # Eased: like a real sampler, the picture's layout shows up well before the last step.
    done = max(0.0, min(1.0, fraction))
    frame = Image.blend(start, small, 1.0 - (1.0 - done) ** 2)
    frame = ImageOps.contain(frame, (PREVIEW_SIZE, PREVIEW_SIZE), _RESAMPLE.BILINEAR)
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=95)
    return out.getvalue()


def png_bytes(image: Image.Image, prompt: Any | None, extra_pnginfo: dict[str, Any] | None, compress_level: int) -> bytes:
    """A PNG with tEXt chunks exactly as ComfyUI's SaveImage writes them."""
    info = PngInfo()
    if prompt is not None:
        info.add_text("prompt", json.dumps(prompt))
    if extra_pnginfo is not None:
        for key in extra_pnginfo:
            info.add_text(key, json.dumps(extra_pnginfo[key]))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, compress_level=compress_level)
    return out.getvalue()


def png_plain(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
