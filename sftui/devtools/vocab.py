"""Words for seeded rows: prompts people actually type, titles, and the errors servers give.

Everything is drawn from a ``random.Random`` the caller owns, so a seed reproduces the data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

SUBJECTS = (
    "a red fox", "an old lighthouse keeper", "a cyberpunk street vendor", "a glass teapot", "a sleeping dragon",
    "a mountain monastery", "a tiny robot gardener", "a koi pond", "an astronaut in a sunflower field",
    "a Victorian greenhouse", "a snow leopard", "a floating island", "a vintage motorcycle", "a jazz trio",
    "a paper boat", "a witch's apothecary", "a lone samurai", "a coral reef city", "a steam locomotive",
    "a café terrace", "a bioluminescent forest", "a desert caravan", "a clockwork owl", "a bowl of ramen",
    "a knight in porcelain armour", "a rainy Tokyo alley", "an abandoned observatory", "a hummingbird",
    "a portrait of an elderly fisherman", "a crystal cave", "a treehouse village", "a neon diner at 3am",
)
SETTINGS = (
    "at golden hour", "in the rain", "under the northern lights", "in a misty valley", "on a windswept cliff",
    "in a crowded market", "at dawn", "in deep space", "inside a snow globe", "on a quiet beach",
    "in an overgrown ruin", "during a thunderstorm", "in autumn", "at blue hour", "in a sunlit studio",
)
STYLES = (
    "oil painting", "watercolor", "35mm film photograph", "studio ghibli style", "isometric 3d render",
    "ukiyo-e woodblock print", "concept art", "art nouveau poster", "charcoal sketch", "low poly",
    "macro photography", "cinematic still", "pixel art", "gouache illustration", "double exposure",
)
LIGHTING = (
    "volumetric lighting", "rim light", "soft diffused light", "dramatic chiaroscuro", "neon glow",
    "backlit", "overcast", "candlelight", "god rays", "hard noon sun",
)
QUALITY = (
    "highly detailed", "sharp focus", "8k", "intricate", "masterpiece", "best quality", "award winning",
    "depth of field", "bokeh", "trending on artstation", "ultra wide angle", "85mm lens",
)
NEGATIVES = (
    None,
    "",
    "blurry, low quality, watermark",
    "lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, cropped, worst quality, jpeg artifacts, signature",
    "deformed, disfigured, ugly, oversaturated",
    "nsfw, text, logo, frame",
    "(worst quality:1.4), (low quality:1.4), monochrome",
)
TITLE_WORDS = (
    "Moodboard", "Client pitch", "Album cover", "Book cover ideas", "Character sheet", "Tests", "Experiments",
    "Backgrounds", "Portraits", "Product shots", "Wallpapers", "Sketches", "Ref sheet", "Storyboard",
)


def make_prompt(rng: random.Random, subject: str | None = None) -> str:
    """One prompt: subject, often a setting, a style, and a few comma-separated tags."""
    parts = [subject or rng.choice(SUBJECTS)]
    if rng.random() < 0.7:
        parts[0] += " " + rng.choice(SETTINGS)
    parts.append(rng.choice(STYLES))
    if rng.random() < 0.6:
        parts.append(rng.choice(LIGHTING))
    parts += rng.sample(QUALITY, rng.randint(0, 4))
    if rng.random() < 0.05:
        # Weighted tokens and the odd long paste, as in real histories.
        parts.append(f"({rng.choice(LIGHTING)}:{rng.choice((1.1, 1.2, 1.3))})")
    if rng.random() < 0.02:
        parts += rng.sample(QUALITY, len(QUALITY)) + rng.sample(STYLES, 5)
    return ", ".join(parts)


def make_negative(rng: random.Random) -> str | None:
    return rng.choice(NEGATIVES)


def make_title(rng: random.Random, subject: str, index: int) -> str:
    pick = rng.random()
    if pick < 0.4:
        return subject[0].upper() + subject[1:]
    if pick < 0.8:
        return f"{rng.choice(TITLE_WORDS)} {index + 1}"
    return f"{rng.choice(TITLE_WORDS)}: {subject}"


@dataclass(frozen=True)
class Failure:
    """What a failed generation stores: its one-line error and the details object."""

    error: str
    details: dict[str, Any] | None
    #: Whether it ran (has started_at and a time) before failing.
    ran: bool


def _node_failure(node_id: str, node_type: str, exc_type: str, message: str) -> Failure:
    # Same shape as sftui.generation.tracking.describe_failure writes.
    return Failure(
        f"{exc_type}: {message} (node {node_id} {node_type})",
        {
            "node_id": node_id,
            "node_type": node_type,
            "exception_type": exc_type,
            "exception_message": message,
            "traceback": [f'  File "<comfyui>/execution.py", line 496, in execute\n', f"{exc_type}: {message}\n"],
        },
        True,
    )


FAILURES: tuple[tuple[float, Failure], ...] = (
    (0.30, Failure("cancelled by the user", None, True)),
    (0.20, _node_failure("3", "KSampler", "torch.OutOfMemoryError",
                         "CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 11.76 GiB "
                         "of which 1.12 GiB is free. Of the allocated memory 8.91 GiB is allocated by PyTorch.")),
    (0.10, _node_failure("8", "VAEDecode", "RuntimeError",
                         "Sizes of tensors must match except in dimension 0. Expected size 128 but got size 152 for "
                         "tensor number 1 in the list.")),
    (0.08, _node_failure("4", "CheckpointLoaderSimple", "RuntimeError",
                         "Error(s) in loading state_dict for SDXL: size mismatch for "
                         "model.diffusion_model.input_blocks.0.0.weight.")),
    (0.12, Failure("interrupted", {"reason": "interrupted"}, True)),
    (0.08, Failure("the server restarted and lost this generation", {"reason": "lost", "retryable": True}, True)),
    (0.07, Failure(
        "ComfyUI rejected the prompt: node 10 (LoraLoader), input 'lora_name': Value not in list: "
        "lora_name: 'detail_tweaker_xl_v2.safetensors' not in ['add_brightness.safetensors', "
        "'detail_tweaker_xl.safetensors']",
        {"code": "prompt_rejected", "status": 400},
        False,
    )),
    (0.05, Failure(
        "outputs could not be downloaded: GET /view answered 404 for sftui_00042_.png",
        None,
        True,
    )),
)


def make_failure(rng: random.Random) -> Failure:
    weights = [weight for weight, _ in FAILURES]
    return rng.choices([failure for _, failure in FAILURES], weights)[0]
