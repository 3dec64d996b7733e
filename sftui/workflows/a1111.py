"""AUTOMATIC1111 / Forge "parameters" infotext.

The text has the prompt, an optional ``Negative prompt:`` section, and a last
line of ``Key: value`` pairs (values with commas are JSON-quoted)::

    a cat
    Negative prompt: blurry
    Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1, Size: 512x768, Model: foo

The split follows A1111's own ``parse_generation_parameters``: the last line
is the parameter line only when it holds at least three pairs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sftui.errors import WorkflowError
from sftui.workflows.limits import MAX_INFOTEXT_CHARS

_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"^(\d+)x(\d+)$")
_MODEL_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")

#: A1111 sampler label -> (ComfyUI sampler_name, scheduler A1111 picks on "Automatic").
SAMPLERS: dict[str, tuple[str, str]] = {
    "euler a": ("euler_ancestral", "normal"),
    "euler": ("euler", "normal"),
    "lms": ("lms", "normal"),
    "heun": ("heun", "normal"),
    "dpm2": ("dpm_2", "normal"),
    "dpm2 a": ("dpm_2_ancestral", "normal"),
    "dpm++ 2s a": ("dpmpp_2s_ancestral", "karras"),
    "dpm++ 2m": ("dpmpp_2m", "karras"),
    "dpm++ sde": ("dpmpp_sde", "karras"),
    "dpm++ 2m sde": ("dpmpp_2m_sde", "exponential"),
    "dpm++ 2m sde heun": ("dpmpp_2m_sde_heun", "exponential"),
    "dpm++ 3m sde": ("dpmpp_3m_sde", "exponential"),
    "dpm fast": ("dpm_fast", "normal"),
    "dpm adaptive": ("dpm_adaptive", "normal"),
    "ddim": ("ddim", "ddim_uniform"),
    "ddpm": ("ddpm", "normal"),
    "unipc": ("uni_pc", "normal"),
    "lcm": ("lcm", "normal"),
    "ipndm": ("ipndm", "normal"),
    "ipndm_v": ("ipndm_v", "normal"),
    "deis": ("deis", "normal"),
    "res multistep": ("res_multistep", "normal"),
}

#: A1111 "Schedule type" (or legacy sampler-name suffix) -> ComfyUI scheduler.
SCHEDULERS: dict[str, str] = {
    "karras": "karras",
    "exponential": "exponential",
    "sgm uniform": "sgm_uniform",
    "simple": "simple",
    "normal": "normal",
    "uniform": "normal",
    "ddim": "ddim_uniform",
    "beta": "beta",
    "kl optimal": "kl_optimal",
    "linear quadratic": "linear_quadratic",
}


@dataclass
class A1111Parameters:
    prompt: str
    negative_prompt: str
    #: GenerationParameters keys (width, height, steps, cfg_scale, seed, sampler_name, scheduler, checkpoint_name).
    parameters: dict[str, Any]
    #: Every ``Key: value`` pair of the parameter line, as written.
    raw: dict[str, str] = field(default_factory=dict)


def looks_like_infotext(text: str) -> bool:
    lines = text.strip().split("\n")
    return bool(lines) and len(_PARAM.findall(lines[-1])) >= 3 and "Steps:" in lines[-1]


def parse_infotext(text: str, *, source: str = "<input>") -> tuple[A1111Parameters, list[str]]:
    """Parse infotext; unknown or malformed values become warnings, never errors."""
    if len(text) > MAX_INFOTEXT_CHARS:
        raise WorkflowError(f"A1111 infotext in {source} is longer than {MAX_INFOTEXT_CHARS} characters (MAX_INFOTEXT_CHARS)")
    if not looks_like_infotext(text):
        raise WorkflowError(f"{source} is not A1111 infotext: no 'Steps: …, Sampler: …' parameter line at its end")
    *lines, last = text.strip().split("\n")
    prompt, negative = _split_prompts(lines)
    raw = _parse_pairs(last)
    warnings: list[str] = []
    params = _generation_parameters(raw, warnings, source)
    return A1111Parameters(prompt=prompt, negative_prompt=negative, parameters=params, raw=raw), warnings


def _split_prompts(lines: list[str]) -> tuple[str, str]:
    prompt: list[str] = []
    negative: list[str] = []
    in_negative = False
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:") :].strip()
        (negative if in_negative else prompt).append(line)
    return "\n".join(prompt), "\n".join(negative)


def _parse_pairs(line: str) -> dict[str, str]:
    raw: dict[str, str] = {}
    for key, value in _PARAM.findall(line):
        value = value.strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            try:
                unquoted = json.loads(value)
            except ValueError:
                unquoted = value[1:-1]
            value = unquoted if isinstance(unquoted, str) else value
        raw[key.strip()] = value
    return raw


def _generation_parameters(raw: dict[str, str], warnings: list[str], source: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, name, kind in (("Steps", "steps", int), ("CFG scale", "cfg_scale", float), ("Seed", "seed", int)):
        if key in raw:
            number = _number(raw[key], kind)
            if number is None:
                warnings.append(f"{source}: A1111 {key} {raw[key]!r} is not a number; ignored")
            else:
                params[name] = number
    if "Size" in raw:
        size = _SIZE.match(raw["Size"].strip())
        if size:
            params["width"], params["height"] = int(size.group(1)), int(size.group(2))
        else:
            warnings.append(f"{source}: A1111 Size {raw['Size']!r} is not WIDTHxHEIGHT; ignored")
    if "Sampler" in raw:
        params.update(map_sampler(raw["Sampler"], raw.get("Schedule type"), warnings, source))
    if raw.get("Model"):
        params["checkpoint_name"] = _checkpoint(raw["Model"], warnings, source)
    return params


def _number(text: str, kind: type) -> int | float | None:
    text = text.strip()
    if kind is int and text.lstrip("-").isascii() and text.lstrip("-").isdigit():
        return int(text)  # exactly: a 64-bit seed does not survive a float
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if kind is int:
        return int(value) if value.is_integer() else None
    return value


def map_sampler(label: str, schedule_type: str | None, warnings: list[str], source: str = "<input>") -> dict[str, str]:
    """Map an A1111 sampler label (and newer "Schedule type") to ComfyUI sampler_name + scheduler."""
    name = " ".join(label.strip().lower().split())
    sampler = SAMPLERS.get(name)
    suffix = None
    if sampler is None:
        # Before A1111 1.9 the scheduler was part of the name: "DPM++ 2M Karras".
        for sched in sorted(SCHEDULERS, key=len, reverse=True):
            if name.endswith(" " + sched) and name[: -len(sched) - 1] in SAMPLERS:
                sampler, suffix = SAMPLERS[name[: -len(sched) - 1]], SCHEDULERS[sched]
                break
    if sampler is None:
        warnings.append(f"{source}: A1111 sampler {label!r} has no ComfyUI equivalent; keeping the workflow's sampler")
        return {}
    sampler_name, automatic = sampler
    if schedule_type is not None and schedule_type.strip().lower() != "automatic":
        scheduler = SCHEDULERS.get(" ".join(schedule_type.strip().lower().split()))
        if scheduler is None:
            warnings.append(f"{source}: A1111 schedule type {schedule_type!r} has no ComfyUI equivalent; using {automatic!r}")
            scheduler = automatic
    elif suffix is not None:
        scheduler = suffix
    elif schedule_type is None:
        # Legacy infotext without a suffix meant the sampler's plain sigmas (DDIM: its own uniform steps).
        scheduler = "ddim_uniform" if sampler_name == "ddim" else "normal"
    else:
        scheduler = automatic
    return {"sampler_name": sampler_name, "scheduler": scheduler}


def _checkpoint(model: str, warnings: list[str], source: str) -> str:
    model = model.strip()
    if not model.lower().endswith(_MODEL_EXTENSIONS):
        warnings.append(f"{source}: A1111 Model {model!r} has no file extension; assuming {model}.safetensors")
        return model + ".safetensors"
    return model
