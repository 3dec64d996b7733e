"""Seeded parameters and their exact workflow snapshots.

A session has a few looks (size, sampler, steps, LoRAs…) taken from a shared
pool; its generations keep one for a while and switch now and then, as people
iterate. Snapshots come from
``apply_parameters`` on the built-in default workflow, applied once per distinct
parameter set (seed and texts aside) and then filled in per row: applying costs
about a millisecond, far too much for 100,000 rows.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from sftui.workflows.apply import SEED_LIMIT, apply_parameters
from sftui.workflows.options import SDXL_PRESETS

# Pairs people actually use, most common first.
SAMPLER_SCHEDULERS = (
    ("euler", "normal"), ("dpmpp_2m", "karras"), ("euler_ancestral", "normal"), ("dpmpp_2m_sde", "karras"),
    ("dpmpp_sde", "karras"), ("uni_pc", "simple"), ("ddim", "ddim_uniform"), ("dpmpp_3m_sde", "exponential"),
    ("heun", "normal"), ("lcm", "sgm_uniform"), ("euler", "beta"), ("res_multistep", "simple"),
)
STEPS = (20, 20, 25, 28, 30, 30, 35, 40)
CFG = (4.5, 5.0, 6.0, 7.0, 7.0, 7.5, 8.0, 9.0)
BATCHES = (1, 1, 1, 1, 1, 1, 2, 4)
LORA_STRENGTHS = (0.5, 0.7, 0.8, 1.0)

# Sentinels: apply once with these, then find where they landed in the prompt.
_SEED_MARK = SEED_LIMIT - 12_345
_TEXT_MARK = "\x00sftui-seed-positive\x00"
_NEG_MARK = "\x00sftui-seed-negative\x00"


@dataclass(frozen=True)
class Options:
    """What the parameters are drawn from (the simulator's lists)."""

    samplers: frozenset[str]
    schedulers: frozenset[str]
    checkpoints: tuple[str, ...]
    loras: tuple[str, ...]

    @classmethod
    def from_object_info(cls, object_info: dict[str, Any]) -> Options:
        from sftui.workflows.options import build_options

        built = build_options(object_info)
        return cls(frozenset(built["samplers"]), frozenset(built["schedulers"]), tuple(built["checkpoints"]), tuple(built["loras"]))

    def pairs(self) -> list[tuple[str, str]]:
        return [(s, k) for s, k in SAMPLER_SCHEDULERS if s in self.samplers and k in self.schedulers] or [("euler", "normal")]


def session_style(rng: random.Random, options: Options) -> dict[str, Any]:
    """The parameters a session starts from (no seed)."""
    preset = rng.choice(SDXL_PRESETS)
    sampler, scheduler = rng.choice(options.pairs())
    style: dict[str, Any] = {
        "width": preset["width"],
        "height": preset["height"],
        "steps": 8 if sampler == "lcm" else rng.choice(STEPS),
        "cfg_scale": 1.5 if sampler == "lcm" else rng.choice(CFG),
        "sampler_name": sampler,
        "scheduler": scheduler,
        "batch_size": rng.choice(BATCHES),
        "checkpoint_name": options.checkpoints[0] if rng.random() < 0.85 or len(options.checkpoints) < 2 else options.checkpoints[1],
        "loras": [],
    }
    if options.loras and rng.random() < 0.3:
        style["loras"] = [_lora(rng, name) for name in rng.sample(options.loras, rng.randint(1, min(2, len(options.loras))))]
    return style


def _lora(rng: random.Random, name: str) -> dict[str, Any]:
    strength = rng.choice(LORA_STRENGTHS)
    return {"name": name, "strength_model": strength, "strength_clip": strength}


def style_pool(rng: random.Random, options: Options, size: int) -> list[dict[str, Any]]:
    """The looks sessions choose from (``session_style`` draws).

    Sessions share this bounded pool, so the snapshots need only a few hundred
    ``apply_parameters`` calls however many rows there are.
    """
    return [session_style(rng, options) for _ in range(size)]


def switch_style(rng: random.Random, looks: list[dict[str, Any]], current: dict[str, Any]) -> dict[str, Any]:
    """Usually the same look again; now and then another of the session's looks."""
    if len(looks) < 2 or rng.random() < 0.85:
        return current
    return rng.choice(looks)


def random_seed(rng: random.Random) -> int:
    return rng.randrange(SEED_LIMIT)


class SnapshotMaker:
    """``apply_parameters`` results per parameter set, filled in with each row's seed and texts."""

    def __init__(self, workflow: dict[str, Any], object_info: dict[str, Any] | None) -> None:
        self._workflow = workflow
        self._object_info = object_info
        self._cache: dict[str, tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, object]]]] = {}
        self.applied = 0

    def make(self, params: dict[str, Any], prompt_text: str, negative: str | None, seed: int) -> tuple[str, dict[str, Any]]:
        """(workflow_json_snapshot text, stored parameters) exactly as ``apply_parameters`` would give."""
        prompt, resolved, marks = self._template(params, negative is not None)
        values = {_SEED_MARK: seed, _TEXT_MARK: prompt_text, _NEG_MARK: negative}
        for node_id, name, mark in marks:
            prompt[node_id]["inputs"][name] = values[mark]
        text = json.dumps(prompt, ensure_ascii=False, separators=(",", ":"))
        for node_id, name, mark in marks:
            prompt[node_id]["inputs"][name] = mark  # the template stays reusable
        return text, {**resolved, "seed": seed}

    def _template(self, params: dict[str, Any], has_negative: bool) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, object]]]:
        key = json.dumps([params, has_negative], sort_keys=True)
        cached = self._cache.get(key)
        if cached is None:
            applied = apply_parameters(
                self._workflow,
                {**params, "seed": _SEED_MARK},
                prompt_text=_TEXT_MARK,
                negative_prompt=_NEG_MARK if has_negative else None,
                object_info=self._object_info,
            )
            self.applied += 1
            marks = _find_marks(applied.prompt)
            if not any(mark == _SEED_MARK for _, _, mark in marks) or not any(mark == _TEXT_MARK for _, _, mark in marks):
                raise ValueError("the default workflow has no seed or prompt input to fill")
            cached = (applied.prompt, {k: v for k, v in applied.parameters.items() if k != "seed"}, marks)
            self._cache[key] = cached
        return cached


def _find_marks(prompt: dict[str, Any]) -> list[tuple[str, str, object]]:
    found = []
    for node_id, node in prompt.items():
        for name, value in node.get("inputs", {}).items():
            if isinstance(value, bool):
                continue
            if value in (_SEED_MARK, _TEXT_MARK, _NEG_MARK):
                found.append((node_id, name, value))
    return found


def default_prompt() -> dict[str, Any]:
    from sftui.workflows.defaults import default_workflow

    return default_workflow()
