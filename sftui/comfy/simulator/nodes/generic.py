"""Any other node of the catalogue: plausible outputs derived from its inputs.

An output of a type the node also receives passes the first such input
through; otherwise images are painted from a digest of the inputs, latents
take ``width``/``height``/``batch_size`` if the node has them, primitives take
the node's first widget of that type, and everything else becomes a
``Handle``. Unknown output nodes simply show nothing.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from sftui.comfy.simulator import render
from sftui.comfy.simulator.nodes.base import NodeContext, NodeResult, int_input, node
from sftui.comfy.simulator.nodes.images import node_digest
from sftui.comfy.simulator.values import Handle, Images, Latent, Mask

_PRIMITIVES = {"STRING": str, "INT": int, "FLOAT": float, "BOOLEAN": bool}


def _typed_inputs(ctx: NodeContext, inputs: dict[str, Any], kind: str) -> list[Any]:
    found = []
    for name, value in inputs.items():
        declared, _, _ = ctx.catalog.input_info(ctx.class_type, name)
        if declared == kind and value is not None:
            found.append(value)
    return found


def _size(inputs: dict[str, Any]) -> tuple[int, int]:
    return max(8, int_input(inputs, "width", 512)), max(8, int_input(inputs, "height", 512))


def _widget(inputs: dict[str, Any], kind: str) -> Any:
    accepted: tuple[type, ...] = {"STRING": (str,), "INT": (int,), "FLOAT": (int, float), "BOOLEAN": (bool,)}[kind]
    for value in inputs.values():
        if isinstance(value, accepted) and (kind == "BOOLEAN") == isinstance(value, bool):
            return _PRIMITIVES[kind](value)
    return _PRIMITIVES[kind]()


def _generic_output(ctx: NodeContext, inputs: dict[str, Any], kind: Any, index: int) -> Any:
    same = _typed_inputs(ctx, inputs, kind) if isinstance(kind, str) else []
    if same:
        return same[0]
    seed = f"{node_digest(ctx, inputs)}/{index}"
    if kind == "IMAGE":
        width, height = _size(inputs)
        return Images([render.render(seed, width, height)], seed)
    if kind == "MASK":
        source = next((v for v in inputs.values() if isinstance(v, Images)), None)
        frames = [f.convert("L") for f in source.frames] if source else [Image.new("L", _size(inputs), 0)]
        return Mask(frames, seed)
    if kind == "LATENT":
        width, height = _size(inputs)
        return Latent(width // 8 * 8, height // 8 * 8, int_input(inputs, "batch_size", 1), seed)
    if kind in _PRIMITIVES:
        return _widget(inputs, kind)
    texts = tuple(t for v in inputs.values() if isinstance(v, Handle) for t in v.texts)
    steps = int_input(inputs, "steps", 0) or None
    return Handle(str(kind), seed, texts, steps)


def run_generic(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    kinds = ctx.output_types()
    return NodeResult(tuple(_generic_output(ctx, inputs, kind, index) for index, kind in enumerate(kinds)))


@node("StringConcatenate")
def string_concatenate(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    return NodeResult((f"{inputs.get('string_a', '')}{inputs.get('delimiter', '')}{inputs.get('string_b', '')}",))


@node("StringReplace")
def string_replace(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    text = str(inputs.get("string", ""))
    return NodeResult((text.replace(str(inputs.get("find", "")), str(inputs.get("replace", ""))),))


@node("PrimitiveString", "PrimitiveStringMultiline", "PrimitiveInt", "PrimitiveFloat", "PrimitiveBoolean")
def primitive(ctx: NodeContext, inputs: dict[str, Any]) -> NodeResult:
    return NodeResult((inputs.get("value"),))
