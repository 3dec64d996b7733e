"""Typed view of a ComfyUI ``/object_info`` document.

object_info describes inputs in several shapes that a client must all read:

- ``["INT", {...}]``, ``["FLOAT", {...}]``, ``["STRING", {...}]``, ``["BOOLEAN", {...}]``
- COMBO as a bare list of options: ``[["euler", "heun"], {...}]``
- COMBO in the newer form: ``["COMBO", {"options": [...], "multiselect": false}]``
  (options may be absent when the list is served remotely)
- link types: ``["MODEL", {...}]``, ``["*"]`` (anything), ``["A,B,C"]`` (any of several)
- hidden inputs given as a string (``"PROMPT"``) or a one-element list (``["PROMPT"]``)

Everything here is pure: callers pass the parsed JSON in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal

WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"})

InputKind = Literal["INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "LINK"]


@dataclass(frozen=True)
class InputDef:
    name: str
    kind: InputKind
    required: bool
    #: For links, the accepted type names ("*" accepts anything).
    link_types: tuple[str, ...] = ()
    options: tuple[Any, ...] | None = None
    default: Any = None
    min: float | int | None = None
    max: float | int | None = None
    step: float | int | None = None
    #: ComfyUI's frontend adds a hidden widget value after these (seed controls).
    control_after_generate: bool = False
    #: LoadImage-style inputs carry an extra "upload" widget value in UI graphs.
    image_upload: bool = False
    #: A widget type forced to be a socket (no widget value in widgets_values).
    force_input: bool = False
    multiline: bool = False
    tooltip: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_widget(self) -> bool:
        return self.kind != "LINK" and not self.force_input

    def accepts_link_type(self, type_name: str) -> bool:
        if self.kind != "LINK":
            # A widget input converted to a socket accepts its own primitive type.
            return type_name in ("*", self.kind) or (self.kind == "COMBO" and type_name.startswith("COMBO"))
        if "*" in self.link_types or type_name == "*":
            return True
        return any(t in self.link_types for t in type_name.split(","))


@dataclass(frozen=True)
class NodeDef:
    class_type: str
    display_name: str
    category: str
    inputs: dict[str, InputDef]
    #: Input names in object_info order: required first, then optional.
    input_order: tuple[str, ...]
    outputs: tuple[str, ...]
    output_names: tuple[str, ...]
    output_node: bool
    hidden: tuple[str, ...] = ()

    def widget_inputs(self) -> list[InputDef]:
        return [self.inputs[name] for name in self.input_order if self.inputs[name].is_widget]

    def required_inputs(self) -> list[InputDef]:
        return [self.inputs[name] for name in self.input_order if self.inputs[name].required]


def parse_input(name: str, spec: Any, *, required: bool) -> InputDef:
    if isinstance(spec, str):
        spec = [spec]
    if not isinstance(spec, (list, tuple)) or not spec:
        return InputDef(name=name, kind="LINK", required=required, link_types=("*",))
    head = spec[0]
    opts: dict[str, Any] = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    common = dict(
        name=name,
        required=required,
        default=opts.get("default"),
        min=opts.get("min"),
        max=opts.get("max"),
        step=opts.get("step"),
        control_after_generate=bool(opts.get("control_after_generate")),
        image_upload=bool(opts.get("image_upload")),
        force_input=bool(opts.get("forceInput")),
        multiline=bool(opts.get("multiline")),
        tooltip=opts.get("tooltip"),
        raw=opts,
    )
    if isinstance(head, list):
        return InputDef(kind="COMBO", options=tuple(head), **common)
    if head == "COMBO":
        options = opts.get("options")
        return InputDef(kind="COMBO", options=tuple(options) if isinstance(options, list) else None, **common)
    if head in ("INT", "FLOAT", "STRING", "BOOLEAN"):
        return InputDef(kind=head, **common)
    types = tuple(t.strip() for t in str(head).split(",") if t.strip()) or ("*",)
    return InputDef(kind="LINK", link_types=types, **common)


def parse_node_def(class_type: str, raw: dict[str, Any]) -> NodeDef:
    section = raw.get("input") if isinstance(raw.get("input"), dict) else {}
    inputs: dict[str, InputDef] = {}
    order: list[str] = []
    declared_order = raw.get("input_order") if isinstance(raw.get("input_order"), dict) else {}
    for group in ("required", "optional"):
        specs = section.get(group) if isinstance(section.get(group), dict) else {}
        order_list = declared_order.get(group) if isinstance(declared_order.get(group), list) else []
        names = [n for n in order_list if isinstance(n, str) and n in specs]
        names += [n for n in specs if n not in names]
        for name in names:
            inputs[name] = parse_input(name, specs[name], required=group == "required")
            order.append(name)
    hidden_raw = section.get("hidden")
    hidden = tuple(hidden_raw.keys()) if isinstance(hidden_raw, dict) else ()
    raw_outputs = raw.get("output") if isinstance(raw.get("output"), list) else []
    outputs = tuple(str(o) if not isinstance(o, list) else "COMBO" for o in raw_outputs)
    return NodeDef(
        class_type=class_type,
        display_name=str(raw.get("display_name") or class_type),
        category=str(raw.get("category") or ""),
        inputs=inputs,
        input_order=tuple(order),
        outputs=outputs,
        output_names=tuple(map(str, raw.get("output_name"))) if isinstance(raw.get("output_name"), list) else outputs,
        output_node=bool(raw.get("output_node")),
        hidden=hidden,
    )


class NodeDefs:
    """Lazily parsed node definitions keyed by class_type."""

    def __init__(self, object_info: dict[str, Any]) -> None:
        self._raw = object_info
        self._cache: dict[str, NodeDef] = {}

    def __contains__(self, class_type: object) -> bool:
        return class_type in self._raw

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def get(self, class_type: str) -> NodeDef | None:
        node = self._cache.get(class_type)
        if node is None:
            raw = self._raw.get(class_type)
            if not isinstance(raw, dict):
                return None
            node = self._cache[class_type] = parse_node_def(class_type, raw)
        return node

    def combo_options(self, class_type: str, input_name: str) -> list[Any]:
        node = self.get(class_type)
        if node is None or input_name not in node.inputs:
            return []
        return list(node.inputs[input_name].options or ())


# -- shared by conversion and validation (here, so validating never loads the converter) --

MEDIA_UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload")


_CONTROL = re.compile("[\x00-\x1f\x7f\u2028\u2029]")


def one_line(text: str) -> str:
    """Messages stay one line even when a hostile file puts newlines in ids or names."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def valid_connection(a: str | None, b: str | None) -> bool:
    """LiteGraph.isValidConnection: wildcards, case-insensitive names, comma-separated alternatives."""
    if not a or a == "*" or not b or b == "*" or a == b:
        return True
    a, b = a.lower(), b.lower()
    if "," not in a and "," not in b:
        return a == b
    return any(valid_connection(x, y) for x in a.split(",") for y in b.split(","))


class SafeNodeDefs(NodeDefs):
    """NodeDefs that treats an entry it cannot parse (a malformed --object-info file) as unknown."""

    def get(self, class_type: str) -> NodeDef | None:
        try:
            return super().get(class_type)
        except (AttributeError, TypeError, KeyError, ValueError, IndexError):
            return None
