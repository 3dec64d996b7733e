"""Apply generation parameters to an API prompt (§7.2, done by tracing).

``apply_parameters`` never mutates its input: it returns the exact prompt to
POST and the complete parameters that describe it (read back from that
prompt), so a stored generation can be reproduced.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from sftui.errors import ParameterError
from sftui.workflows.extract import (
    LORA_CLASS,
    STANDARD_FIELDS,
    STANDARD_KEYS,
    Roles,
    analyze,
    encoder_fields,
    lora_chain,
    standard_values,
)
from sftui.workflows.graph import Graph, Link, as_link, fresh_copy
from sftui.workflows.nodedefs import InputDef

#: ComfyUI's frontend draws seeds below 2**50; that also keeps them exact in JavaScript.
SEED_LIMIT = 2**50

_INT_KEYS = frozenset({"width", "height", "steps", "batch_size", "seed"})
_FLOAT_KEYS = frozenset({"cfg_scale", "denoise"})


@dataclass
class AppliedWorkflow:
    #: The exact API prompt to POST (a new object).
    prompt: dict[str, Any]
    #: Every standard key the workflow has (concrete seed, loras) plus the custom keys that were set.
    parameters: dict[str, Any]
    #: Things the caller may want to show: ignored keys, replaced links, ambiguous encoders.
    warnings: list[str] = field(default_factory=list)


def random_seed(rng: random.Random | None = None) -> int:
    return rng.randrange(SEED_LIMIT) if rng is not None else random.randrange(SEED_LIMIT)


def apply_parameters(
    prompt: dict[str, Any],
    parameters: dict[str, Any],
    *,
    prompt_text: str | None = None,
    negative_prompt: str | None = None,
    object_info: dict[str, Any] | None = None,
    rng: random.Random | None = None,
) -> AppliedWorkflow:
    if not isinstance(parameters, dict):
        raise ParameterError(f"parameters must be an object, not {type(parameters).__name__}")
    work = fresh_copy(prompt)
    g = Graph(work, object_info)
    warnings: list[str] = []
    given = {k: v for k, v in parameters.items() if v is not None}
    custom = _split_custom(g, given)
    seed = given.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool) and seed == -1:
        given["seed"] = random_seed(rng)

    roles = analyze(g)
    for key in STANDARD_FIELDS:
        if key in given:
            _apply_standard(g, roles.targets.get(key, []), key, given[key], warnings)
    _apply_prompts(g, roles, prompt_text, negative_prompt, warnings)
    if "loras" in given:
        apply_loras(g, roles, parse_loras(given["loras"], g), warnings)
    for key, (node_id, name) in custom.items():
        _apply_custom(g, node_id, name, given[key])

    final = Graph(work, object_info)
    resolved = standard_values(final, analyze(final))
    resolved.update({key: final.inputs(node_id)[name] for key, (node_id, name) in custom.items()})
    return AppliedWorkflow(prompt=work, parameters=resolved, warnings=warnings)


def _split_custom(g: Graph, given: dict[str, Any]) -> dict[str, tuple[str, str]]:
    custom: dict[str, tuple[str, str]] = {}
    for key in given:
        if key in STANDARD_KEYS:
            continue
        if not isinstance(key, str) or "." not in key:
            raise ParameterError(f"unknown parameter {key!r} (custom parameters are keyed '<nodeId>.<field>')")
        custom[key] = split_key(g, key)
    return custom


def split_key(g: Graph, key: str) -> tuple[str, str]:
    """``"<nodeId>.<field>"`` -> (node id, field); node ids may themselves contain ':'."""
    for i, char in enumerate(key):
        if char == "." and key[:i] in g.prompt and key[i + 1 :]:
            return key[:i], key[i + 1 :]
    raise ParameterError(f"{key}: the workflow has no node {key.split('.', 1)[0]!r}")


def _check_standard_type(key: str, value: Any) -> Any:
    if isinstance(value, bool) or (key in _INT_KEYS and not isinstance(value, int)):
        raise ParameterError(f"{key}: expected an integer, got {value!r}")
    if key in _FLOAT_KEYS:
        if not isinstance(value, (int, float)):
            raise ParameterError(f"{key}: expected a number, got {value!r}")
        return _to_float(value, key)
    if key not in _INT_KEYS and not isinstance(value, str):
        raise ParameterError(f"{key}: expected a string, got {value!r}")
    if key == "seed" and value < 0:
        raise ParameterError(f"seed: {value} is invalid (use -1 for a random seed, or a value ≥ 0)")
    return value


def _apply_standard(g: Graph, targets: list[tuple[str, str]], key: str, value: Any, warnings: list[str]) -> None:
    value = _check_standard_type(key, value)
    if not targets:
        warnings.append(f"{key} ignored: the workflow has no node that takes it")
        return
    for node_id, name in targets:
        checked = check_value(g, node_id, name, value, prefix=f"{key}: ")
        g.inputs(node_id)[name] = checked


def _apply_prompts(g: Graph, roles: Roles, text: str | None, negative: str | None, warnings: list[str]) -> None:
    for name, value in (("prompt_text", text), ("negative_prompt", negative)):
        if value is not None and not isinstance(value, str):
            raise ParameterError(f"{name}: expected a string, got {type(value).__name__}")
    for node_id in roles.ambiguous if text is not None or negative is not None else ():
        warnings.append(f"{g.describe(node_id)} feeds both a positive and a negative input; it gets the positive prompt")
    if text is not None:
        if not roles.positive:
            if not text:
                # An empty prompt box says nothing; graphs without encoders (upscalers,
                # model-free utilities) must still run from the TUI and `generate`.
                return _apply_negative(g, roles, negative, warnings)
            raise ParameterError(
                "the workflow has no positive prompt encoder: no text encoder is reachable from a sampler's positive input"
            )
        _write_text(g, roles.positive, text, warnings)
    _apply_negative(g, roles, negative, warnings)


def _apply_negative(g: Graph, roles: Roles, negative: str | None, warnings: list[str]) -> None:
    if negative is not None:
        if roles.negative:
            _write_text(g, roles.negative, negative, warnings)
        elif negative:
            warnings.append("negative prompt ignored: no text encoder is reachable from a sampler's negative input")


def _write_text(g: Graph, encoders: list[str], text: str, warnings: list[str]) -> None:
    for node_id in encoders:
        inputs = g.inputs(node_id)
        for name in encoder_fields(g, node_id):
            link = as_link(inputs.get(name))
            if link is not None:
                # The typed prompt replaces whatever computed the text before.
                warnings.append(f"{g.describe(node_id)} input '{name}' was linked to node {link[0]}; it now gets the prompt")
            inputs[name] = text


def _apply_custom(g: Graph, node_id: str, name: str, value: Any) -> None:
    inputs = g.inputs(node_id)
    link = as_link(inputs.get(name))
    if link is not None:
        raise ParameterError(f"{g.describe(node_id)} input '{name}' is linked to node {link[0]}; it is not a parameter")
    if name not in inputs:
        node = g.node_def(node_id)
        declared = node.inputs.get(name) if node is not None else None
        if declared is None or not declared.is_widget:
            raise ParameterError(f"{g.describe(node_id)} has no input '{name}'")
    inputs[name] = check_value(g, node_id, name, value)


# -- values --------------------------------------------------------------------
def check_value(g: Graph, node_id: str, name: str, value: Any, *, prefix: str = "") -> Any:
    """Check ``value`` for one input; kinds come from any definition, ranges and lists only from the server."""
    where = f"{prefix}{g.describe(node_id)} input '{name}'"
    server = g.server_input(node_id, name)
    declared = server
    if declared is None:
        node = g.node_def(node_id)
        declared = node.inputs.get(name) if node is not None else None
    kind = declared.kind if declared is not None else _kind_of(g.inputs(node_id).get(name))
    value = _check_kind(kind, value, where)
    if server is not None:
        _check_range(server, value, where)
    return value


def _kind_of(current: Any) -> str:
    if isinstance(current, bool):
        return "BOOLEAN"
    if isinstance(current, (int, float)):
        return "NUMBER"
    return "STRING" if isinstance(current, str) else "ANY"


_KIND_WORDS = {"INT": "an integer", "FLOAT": "a number", "NUMBER": "a number", "STRING": "a string", "BOOLEAN": "true or false"}


def _check_kind(kind: str, value: Any, where: str) -> Any:
    if kind == "LINK":
        raise ParameterError(f"{where} is a link input, not a parameter")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"{where}: {value!r} is not a finite number")
    ok = {
        "INT": isinstance(value, int) and not isinstance(value, bool),
        "FLOAT": is_number,
        "NUMBER": is_number,
        "STRING": isinstance(value, str),
        "BOOLEAN": isinstance(value, bool),
    }.get(kind, is_number or isinstance(value, (str, bool)))
    if not ok:
        expected = _KIND_WORDS.get(kind, "a number, string or boolean")
        raise ParameterError(f"{where}: expected {expected}, got {value!r}")
    return _to_float(value, where) if kind == "FLOAT" else value


def _to_float(value: int | float, where: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise ParameterError(f"{where}: {value} is too large for a number") from None


def _check_range(declared: InputDef, value: Any, where: str) -> None:
    if declared.kind in ("INT", "FLOAT"):
        if isinstance(declared.min, (int, float)) and value < declared.min:
            raise ParameterError(f"{where}: {value} is below the minimum {declared.min}")
        if isinstance(declared.max, (int, float)) and value > declared.max:
            raise ParameterError(f"{where}: {value} is above the maximum {declared.max}")
    if declared.kind == "COMBO" and declared.options is not None and value not in declared.options:
        shown = ", ".join(map(str, declared.options[:6])) + (", …" if len(declared.options) > 6 else "")
        raise ParameterError(f"{where}: {value!r} is not one of the server's options ({shown or 'the server lists none'})")


# -- LoRAs ---------------------------------------------------------------------
def parse_loras(value: Any, g: Graph) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ParameterError("loras: expected a list of {name, strength_model, strength_clip}")
    lora_def = g.server.get(LORA_CLASS) if g.server is not None else None
    out = []
    for i, item in enumerate(value):
        where = f"loras[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ParameterError(f"{where}: expected an object with a LoRA file 'name'")
        extra = sorted(set(item) - {"name", "strength_model", "strength_clip"})
        if extra:
            raise ParameterError(f"{where}: unknown field {extra[0]!r}")
        config: dict[str, Any] = {"name": item["name"]}
        for key in ("strength_model", "strength_clip"):
            strength = item.get(key)
            config[key] = 1.0 if strength is None else _check_kind("FLOAT", strength, f"{where}.{key}")
        if lora_def is not None:
            for key, input_name in (("name", "lora_name"), ("strength_model", "strength_model"), ("strength_clip", "strength_clip")):
                declared = lora_def.inputs.get(input_name)
                if declared is not None:
                    _check_range(declared, config[key], f"{where}.{key} ({LORA_CLASS} input '{input_name}')")
        out.append(config)
    return out


def apply_loras(g: Graph, roles: Roles, configs: list[dict[str, Any]], warnings: list[str]) -> None:
    """Make the LoraLoader chain after the model loader match ``configs`` (update, remove, insert)."""
    root = roles.model_root
    if root is None:
        if configs:
            raise ParameterError("loras: no model loader is reachable from a sampler's model input")
        return
    chain = lora_chain(g, roles)
    for node_id, config in zip(chain, configs):
        g.inputs(node_id).update(
            lora_name=config["name"], strength_model=config["strength_model"], strength_clip=config["strength_clip"]
        )
    for node_id in chain[len(configs) :]:
        _bypass(g, node_id)
    if len(configs) > len(chain):
        _insert(g, roles, chain[-1] if chain else root, configs[len(chain) :])


def _bypass(g: Graph, node_id: str) -> None:
    for slot, name in ((0, "model"), (1, "clip")):
        upstream = g.link(node_id, name)
        for consumer, consumer_input in g.consumers(node_id, slot):
            if upstream is None:
                raise ParameterError(f"loras: cannot remove {g.describe(node_id)}: its '{name}' input is not linked")
            g.inputs(consumer)[consumer_input] = [upstream[0], upstream[1]]
    del g.prompt[node_id]
    g.reindex()


def _insert(g: Graph, roles: Roles, anchor: str, configs: list[dict[str, Any]]) -> None:
    if g.class_of(anchor) == LORA_CLASS:
        model_src: Link = (anchor, 0)
        clip_src: Link = (anchor, 1)
    else:
        slot = g.output_slot(anchor, "MODEL")
        if slot is None:
            raise ParameterError(f"loras: {g.describe(anchor)} has no MODEL output to attach LoRAs to")
        model_src, clip_src = (anchor, slot), _clip_source(g, roles, anchor)
    model_users, clip_users = g.consumers(*model_src), g.consumers(*clip_src)
    prev_model, prev_clip = model_src, clip_src
    for config in configs:
        node_id = g.new_id()
        g.prompt[node_id] = {
            "class_type": LORA_CLASS,
            "inputs": {
                "model": list(prev_model),
                "clip": list(prev_clip),
                "lora_name": config["name"],
                "strength_model": config["strength_model"],
                "strength_clip": config["strength_clip"],
            },
            "_meta": {"title": f"LoRA {config['name']}"},
        }
        prev_model, prev_clip = (node_id, 0), (node_id, 1)
    for consumer, name in model_users:
        g.inputs(consumer)[name] = list(prev_model)
    for consumer, name in clip_users:
        g.inputs(consumer)[name] = list(prev_clip)
    g.reindex()


def _clip_source(g: Graph, roles: Roles, root: str) -> Link:
    slot = g.output_slot(root, "CLIP")
    if slot is not None:
        return root, slot
    for encoder in roles.positive + roles.negative:
        path = g.upstream_path(encoder, "clip", "CLIP")
        if path:
            source_slot = g.output_slot(path[-1], "CLIP")
            if source_slot is not None:
                return path[-1], source_slot
    raise ParameterError("loras: cannot find the CLIP loader that feeds the text encoders")
