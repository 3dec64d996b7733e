"""The values flowing between simulated nodes.

Models, CLIPs, conditionings and the like are opaque ``Handle``s carrying a
digest of what produced them, so a sampler can hash "everything upstream" into
its seed. Images and masks are real PIL images; latents carry the pictures
they will decode to.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

# How ComfyUI's ``str()`` names these objects in ``execution_error.current_inputs``.
_REPR_NAMES = {
    "MODEL": "comfy.model_patcher.ModelPatcher",
    "CLIP": "comfy.sd.CLIP",
    "VAE": "comfy.sd.VAE",
    "CONTROL_NET": "comfy.controlnet.ControlNet",
    "CLIP_VISION": "comfy.clip_vision.ClipVisionModel",
    "UPSCALE_MODEL": "spandrel.ImageModelDescriptor",
}


def digest(*parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, default=_digest_default, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _digest_default(value: Any) -> Any:
    found = getattr(value, "digest", None)
    return found if isinstance(found, str) else repr(value)


@dataclass(frozen=True)
class Handle:
    """An opaque ComfyUI object (MODEL, CLIP, CONDITIONING, SIGMAS, ...)."""

    kind: str
    digest: str
    texts: tuple[str, ...] = ()
    steps: int | None = None

    def __str__(self) -> str:
        name = _REPR_NAMES.get(self.kind)
        if name is not None:
            return f"<{name} object at 0x7f{self.digest[:10]}>"
        if self.kind == "CONDITIONING":
            return "[[tensor(...), {'pooled_output': tensor(...)}]]"
        return f"<{self.kind} {self.digest[:12]}>"


@dataclass
class Images:
    """An IMAGE batch: PIL images of one size and mode (RGB, or RGBA after JoinImageWithAlpha)."""

    frames: list[Image.Image]
    digest: str

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].size

    @property
    def channels(self) -> int:
        return len(self.frames[0].getbands())

    def __str__(self) -> str:
        return tensor_repr(self.frames)


@dataclass
class Mask:
    """A MASK batch: PIL ``L`` images where 255 means 1.0."""

    frames: list[Image.Image]
    digest: str

    def __str__(self) -> str:
        return tensor_repr(self.frames)


@dataclass
class Latent:
    """A LATENT: its pixel size and, once sampled or encoded, the images it decodes to."""

    width: int
    height: int
    batch: int
    digest: str
    images: list[Image.Image] | None = field(default=None)

    def __str__(self) -> str:
        return f"{{'samples': tensor(shape=[{self.batch}, 4, {self.height // 8}, {self.width // 8}])}}"


def tensor_repr(frames: list[Image.Image]) -> str:
    """A torch-like summary of a [B, H, W, C] (or [B, H, W] for masks) tensor."""
    first = frames[0]
    bands = len(first.getbands())

    def pixel(x: int, y: int) -> str:
        value = first.getpixel((x, y))
        values = value if isinstance(value, tuple) else (value,)
        return "[" + ", ".join(f"{v / 255:.4f}" for v in values) + "]" if bands > 1 else f"{values[0] / 255:.4f}"

    def axis(count: int) -> list[int | None]:
        return list(range(count)) if count <= 6 else [0, 1, 2, None, count - 3, count - 2, count - 1]

    width, height = first.size
    # torch prints an [H, W, C] image as blocks of pixel rows, a mask as lines of scalars.
    cell_sep, row_sep = (",\n" + " " * 10, ",\n\n" + " " * 9) if bands > 1 else (", ", ",\n" + " " * 9)
    rows = []
    for y in axis(height):
        if y is None:
            rows.append("...")
            continue
        rows.append("[" + cell_sep.join("..." if x is None else pixel(x, y) for x in axis(width)) + "]")
    return "tensor([[" + row_sep.join(rows) + "]])"
