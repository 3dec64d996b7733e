"""What each node of an API prompt is for, and the parameters it exposes (§7.1).

Roles are found by tracing from the samplers, never from titles: a sampler's
``positive``/``negative`` inputs lead back through conditioning nodes to the
text encoders; its noise, guider, sigmas and sampler inputs lead to the nodes
holding seed, cfg, steps, scheduler and sampler name; its latent input leads
to the node holding the size, and its model input to the checkpoint loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sftui.workflows.graph import Graph, Link, as_link, check_prompt

SAMPLER_CLASSES = frozenset({"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"})

# Text fields of known encoders; other encoders are recognised by shape.
ENCODER_FIELDS: dict[str, tuple[str, ...]] = {
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeSDXL": ("text_g", "text_l"),
    "CLIPTextEncodeSDXLRefiner": ("text",),
    "CLIPTextEncodeFlux": ("clip_l", "t5xxl"),
    "CLIPTextEncodeSD3": ("clip_l", "clip_g", "t5xxl"),
    "CLIPTextEncodeHiDream": ("clip_l", "clip_g", "t5xxl", "llama"),
    "CLIPTextEncodeHunyuanDiT": ("bert", "mt5xl"),
    "CLIPTextEncodeLumina2": ("user_prompt",),
    "CLIPTextEncodePixArtAlpha": ("text",),
    "TextEncodeQwenImageEdit": ("prompt",),
    "TextEncodeQwenImageEditPlus": ("prompt",),
    "TextEncodeHunyuanVideo_ImageToVideo": ("prompt",),
}

# Their output does not depend on the text behind them.
CONDITIONING_ERASERS = frozenset({"ConditioningZeroOut"})

LORA_CLASS = "LoraLoader"

# Standard key -> the widget names that hold it, in the order they are tried.
STANDARD_FIELDS: dict[str, tuple[str, ...]] = {
    "checkpoint_name": ("ckpt_name",),
    "vae_name": ("vae_name",),
    "width": ("width",),
    "height": ("height",),
    "batch_size": ("batch_size",),
    "seed": ("seed", "noise_seed"),
    "steps": ("steps",),
    "cfg_scale": ("cfg",),
    "sampler_name": ("sampler_name",),
    "scheduler": ("scheduler",),
    "denoise": ("denoise",),
}
STANDARD_KEYS = (*STANDARD_FIELDS, "loras")

Target = tuple[str, str]


@dataclass
class Roles:
    samplers: list[str] = field(default_factory=list)
    positive: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)
    #: Encoders reached from both a positive and a negative input (they get the positive text).
    ambiguous: list[str] = field(default_factory=list)
    targets: dict[str, list[Target]] = field(default_factory=dict)
    #: The first-pass sampler's model chain, from the sampler towards the loader.
    model_path: list[str] = field(default_factory=list)

    @property
    def model_root(self) -> str | None:
        return self.model_path[-1] if self.model_path else None


def is_sampler(g: Graph, node_id: str) -> bool:
    if g.class_of(node_id) in SAMPLER_CLASSES:
        return True
    node = g.node_def(node_id)
    if node is None:
        return all(g.link(node_id, n) for n in ("model", "positive", "negative", "latent_image"))
    if "LATENT" not in node.outputs:
        return False
    types = {name: i.link_types for name, i in node.inputs.items() if i.kind == "LINK"}
    if any("GUIDER" in t for t in types.values()):
        return True
    has_model = any("MODEL" in t for t in types.values())
    return has_model and all("CONDITIONING" in types.get(n, ()) for n in ("positive", "negative"))


def encoder_fields(g: Graph, node_id: str) -> tuple[str, ...]:
    known = ENCODER_FIELDS.get(g.class_of(node_id))
    if known is not None:
        return known
    node = g.node_def(node_id)
    if node is None:
        inputs = g.inputs(node_id)
        if g.link(node_id, "clip") is None:
            return ()
        return tuple(n for n in ("text", "prompt") if isinstance(inputs.get(n), str) or g.link(node_id, n))
    takes_conditioning = any(i.kind == "LINK" and "CONDITIONING" in i.link_types for i in node.inputs.values())
    if "CONDITIONING" not in node.outputs or takes_conditioning:
        return ()
    return tuple(
        n for n in ("text", "prompt") if n in node.inputs and node.inputs[n].kind == "STRING" and node.inputs[n].multiline
    )


def trace_encoders(g: Graph, link: Link, seen: set[Link]) -> list[str]:
    """The text encoders whose conditioning reaches ``link`` (iterative: chains can be long)."""
    found: list[str] = []
    stack = [link]
    while stack:
        current = stack.pop()
        node_id = current[0]
        if current in seen or g.class_of(node_id) in CONDITIONING_ERASERS:
            continue
        seen.add(current)
        if encoder_fields(g, node_id):
            found.append(node_id)
            continue
        inputs = g.linked_inputs(node_id, "CONDITIONING")
        out_name = g.output_name(current)
        if out_name is None and {"positive", "negative"} <= set(inputs) and current[1] in (0, 1):
            out_name = ("positive", "negative")[current[1]]
        if out_name:
            # Pair nodes (ControlNetApplyAdvanced, …) carry positive and negative side by side.
            matched = [i for i in inputs if i == out_name or i.startswith(out_name + "_") or out_name.startswith(i + "_")]
            inputs = matched or inputs
        stack.extend(g.link(node_id, name) for name in reversed(inputs))  # type: ignore[misc]
    return found


def _conditioning_links(g: Graph, sampler: str) -> tuple[list[Link], list[Link]]:
    pos: list[Link] = []
    neg: list[Link] = []
    holders = [sampler] + g.upstream_all(g.input_links(sampler, "GUIDER"), "GUIDER")
    for holder in holders:
        for name in g.linked_inputs(holder, "CONDITIONING"):
            link = g.link(holder, name)
            if name.startswith("negative"):
                neg.append(link)  # type: ignore[arg-type]
            elif name in ("positive", "conditioning") or name.startswith("cond"):
                pos.append(link)  # type: ignore[arg-type]
    return pos, neg


def find_samplers(g: Graph) -> list[str]:
    """Samplers, first-pass ones (whose latent does not come from another sampler) first."""
    samplers = [n for n in g.prompt if is_sampler(g, n)]
    chosen = set(samplers)

    def depth(node_id: str) -> int:
        upstream = g.upstream_all(g.input_links(node_id, "LATENT"), "LATENT")
        return sum(1 for n in upstream if n in chosen)

    return sorted(samplers, key=depth)


def _add(targets: dict[str, list[Target]], g: Graph, key: str, nodes: list[str]) -> None:
    for node_id in nodes:
        for name in STANDARD_FIELDS[key]:
            present, _ = g.widget_value(node_id, name)
            target = (node_id, name)
            if present and target not in targets.setdefault(key, []):
                targets[key].append(target)
                break


def _sampler_targets(g: Graph, sampler: str, first_pass: bool, targets: dict[str, list[Target]]) -> None:
    def upstream(type_name: str) -> list[str]:
        return g.upstream_all(g.input_links(sampler, type_name), type_name)

    guiders, sigmas = upstream("GUIDER"), upstream("SIGMAS")
    _add(targets, g, "seed", [sampler, *upstream("NOISE")])
    _add(targets, g, "steps", [sampler, *sigmas])
    _add(targets, g, "cfg_scale", [sampler, *guiders])
    _add(targets, g, "sampler_name", [sampler, *upstream("SAMPLER")])
    _add(targets, g, "scheduler", [sampler, *sigmas])
    latent_nodes = upstream("LATENT")
    _add(targets, g, "width", g.sources(g.input_links(sampler, "LATENT"), "LATENT"))
    _add(targets, g, "height", g.sources(g.input_links(sampler, "LATENT"), "LATENT"))
    _add(targets, g, "batch_size", g.sources(g.input_links(sampler, "LATENT"), "LATENT"))
    vae_users = [n for n, _ in g.consumers(sampler)] + latent_nodes
    vae_links = [link for n in vae_users for link in g.input_links(n, "VAE")]
    _add(targets, g, "vae_name", g.sources(vae_links, "VAE"))
    if first_pass:
        # The refiner and the hires pass keep their own checkpoint and denoise.
        _add(targets, g, "denoise", [sampler, *sigmas])
        model_links = [link for n in [sampler, *guiders] for link in g.input_links(n, "MODEL")]
        _add(targets, g, "checkpoint_name", g.sources(model_links, "MODEL"))


def model_path(g: Graph, sampler: str) -> list[str]:
    for holder in [sampler, *g.upstream_all(g.input_links(sampler, "GUIDER"), "GUIDER")]:
        names = g.linked_inputs(holder, "MODEL")
        if names:
            return g.upstream_path(holder, "model" if "model" in names else names[0], "MODEL")
    return []


def analyze(g: Graph) -> Roles:
    roles = Roles(samplers=find_samplers(g))
    chosen = set(roles.samplers)
    pos_seen: set[Link] = set()
    neg_seen: set[Link] = set()
    for sampler in roles.samplers:
        pos, neg = _conditioning_links(g, sampler)
        for link in pos:
            roles.positive += [e for e in trace_encoders(g, link, pos_seen) if e not in roles.positive]
        for link in neg:
            roles.negative += [e for e in trace_encoders(g, link, neg_seen) if e not in roles.negative]
        upstream_latent = g.upstream_all(g.input_links(sampler, "LATENT"), "LATENT")
        first_pass = not any(n in chosen for n in upstream_latent)
        _sampler_targets(g, sampler, first_pass, roles.targets)
        if first_pass and not roles.model_path:
            roles.model_path = model_path(g, sampler)
    roles.ambiguous = [e for e in roles.negative if e in roles.positive]
    roles.negative = [e for e in roles.negative if e not in roles.positive]
    roles.targets = {k: v for k, v in roles.targets.items() if v}
    return roles


def lora_chain(g: Graph, roles: Roles) -> list[str]:
    """The LoraLoader nodes on the model chain, from the loader outwards."""
    return [n for n in reversed(roles.model_path[:-1]) if g.class_of(n) == LORA_CLASS]


def lora_config(g: Graph, node_id: str) -> dict[str, Any]:
    inputs = g.inputs(node_id)
    return {
        "name": inputs.get("lora_name"),
        "strength_model": inputs.get("strength_model"),
        "strength_clip": inputs.get("strength_clip"),
    }


def standard_values(g: Graph, roles: Roles) -> dict[str, Any]:
    """The workflow's current value for every standard key it has (first target wins)."""
    out: dict[str, Any] = {}
    for key in STANDARD_FIELDS:
        targets = roles.targets.get(key)
        if targets:
            node_id, name = targets[0]
            out[key] = g.inputs(node_id)[name]
    if roles.model_root is not None:
        out["loras"] = [lora_config(g, n) for n in lora_chain(g, roles)]
    return out


def read_text(g: Graph, encoders: list[str]) -> str | None:
    """The text of the first encoder; through a link only when it comes straight from a string primitive."""
    for node_id in encoders:
        for name in encoder_fields(g, node_id):
            value = g.inputs(node_id).get(name)
            link = as_link(value)
            if link is not None and link[0] in g.prompt:
                source = g.inputs(link[0])
                value = source.get("value") if list(source) == ["value"] else None
            return value if isinstance(value, str) else None
    return None


# -- public API ------------------------------------------------------------------
_LABELS = {
    "checkpoint_name": "Checkpoint",
    "vae_name": "VAE",
    "width": "Width",
    "height": "Height",
    "batch_size": "Batch size",
    "seed": "Seed",
    "steps": "Steps",
    "cfg_scale": "CFG scale",
    "sampler_name": "Sampler",
    "scheduler": "Scheduler",
    "denoise": "Denoise",
    "loras": "LoRAs",
}
_SELECT_KEYS = frozenset({"checkpoint_name", "vae_name", "sampler_name", "scheduler"})
_WIDGET_TYPES = {"INT": "number", "FLOAT": "number", "STRING": "string", "BOOLEAN": "boolean", "COMBO": "select"}
STANDARD_GROUP = "Generation"


def read_parameters(prompt: dict[str, Any], object_info: dict[str, Any] | None = None) -> dict[str, Any]:
    """The workflow's current standard values (the keys ``apply_parameters`` takes) and its prompts."""
    check_prompt(prompt)
    g = Graph(prompt, object_info)
    roles = analyze(g)
    out = standard_values(g, roles)
    if roles.positive:
        out["prompt_text"] = read_text(g, roles.positive)
    if roles.negative:
        out["negative_prompt"] = read_text(g, roles.negative)
    return out


def extract_parameters(prompt: dict[str, Any], object_info: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """WorkflowParameter dicts (§6.4): the standard ones first, then every other widget input by node."""
    check_prompt(prompt)
    g = Graph(prompt, object_info)
    roles = analyze(g)
    covered = {t for targets in roles.targets.values() for t in targets}
    covered |= {(n, f) for n in roles.positive + roles.negative for f in encoder_fields(g, n)}
    params = [_standard(g, key, roles.targets[key]) for key in STANDARD_FIELDS if key in roles.targets]
    if roles.model_root is not None:
        chain = lora_chain(g, roles)
        covered |= {(n, f) for n in chain for f in ("lora_name", "strength_model", "strength_clip")}
        params.append(_loras(g, chain))
    for node_id in g.prompt:
        for name, value in g.inputs(node_id).items():
            if (node_id, name) not in covered and as_link(value) is None:
                param = _custom(g, node_id, name, value)
                if param is not None:
                    params.append(param)
    return params


def _limits(g: Graph, node_id: str, name: str) -> dict[str, Any]:
    declared = g.server_input(node_id, name)
    if declared is None:
        return {"min": None, "max": None, "step": None, "options": None, "default": None}
    options = list(declared.options) if declared.options is not None else None
    return {"min": declared.min, "max": declared.max, "step": declared.step, "options": options, "default": declared.default}


def _input_type(g: Graph, node_id: str, name: str) -> str | None:
    node = g.node_def(node_id)
    declared = node.inputs.get(name) if node is not None else None
    return declared.kind if declared is not None else None


def _standard(g: Graph, key: str, targets: list[Target]) -> dict[str, Any]:
    node_id, name = targets[0]
    kind = "seed" if key == "seed" else "select" if key in _SELECT_KEYS else "number"
    return {
        "key": key,
        "standard": True,
        "label": _LABELS[key],
        "nodeId": node_id,
        "field": name,
        "type": kind,
        "value": g.inputs(node_id)[name],
        **_limits(g, node_id, name),
        "group": STANDARD_GROUP,
        "class_type": g.class_of(node_id),
        "input_type": _input_type(g, node_id, name),
        "targets": [{"nodeId": n, "field": f} for n, f in targets],
    }


def _loras(g: Graph, chain: list[str]) -> dict[str, Any]:
    options = g.server.combo_options(LORA_CLASS, "lora_name") if g.server is not None and LORA_CLASS in g.server else None
    return {
        "key": "loras",
        "standard": True,
        "label": _LABELS["loras"],
        "nodeId": chain[0] if chain else None,
        "field": "lora_name",
        "type": "loras",
        "value": [lora_config(g, n) for n in chain],
        "min": None,
        "max": None,
        "step": None,
        "options": options,
        "default": None,
        "group": STANDARD_GROUP,
        "class_type": LORA_CLASS,
        "input_type": None,
        "targets": [{"nodeId": n, "field": "lora_name"} for n in chain],
    }


def is_seed_name(name: str) -> bool:
    return name in ("seed", "noise_seed") or name.endswith("_seed")


def _custom_type(g: Graph, node_id: str, name: str, value: Any) -> tuple[str, str | None] | None:
    node = g.node_def(node_id)
    declared = node.inputs.get(name) if node is not None else None
    if declared is not None:
        if not declared.is_widget or (declared.kind == "STRING" and not isinstance(value, str)):
            return None
        seed_like = declared.control_after_generate or is_seed_name(name)
        kind = "seed" if declared.kind == "INT" and seed_like else _WIDGET_TYPES[declared.kind]
        return kind, declared.kind
    if g.server is not None and g.server.get(g.class_of(node_id)) is not None:
        return None  # an input the server does not declare (the frontend adds some): not a widget
    if isinstance(value, bool):
        return "boolean", None
    if isinstance(value, (int, float)):
        return ("seed" if isinstance(value, int) and is_seed_name(name) else "number"), None
    return ("string", None) if isinstance(value, str) else None


def _custom(g: Graph, node_id: str, name: str, value: Any) -> dict[str, Any] | None:
    found = _custom_type(g, node_id, name, value)
    if found is None:
        return None
    kind, input_type = found
    title = g.title(node_id)
    return {
        "key": f"{node_id}.{name}",
        "standard": False,
        "label": f"{title} · {name}",
        "nodeId": node_id,
        "field": name,
        "type": kind,
        "value": value,
        **_limits(g, node_id, name),
        "group": title,
        "class_type": g.class_of(node_id),
        "input_type": input_type,
    }
