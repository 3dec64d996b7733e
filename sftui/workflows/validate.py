"""Checking an API prompt before it is stored or sent.

Mirrors what ComfyUI's ``validate_prompt`` rejects (unknown node types,
missing required inputs, bad links, values out of range or not in a list, no
output node), but stricter about types: a boolean is not an integer here, and
text is not a number. A model or input file the server does not list is only a
warning: the user may be about to add it, and other servers may have it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sftui.errors import WorkflowError
from sftui.workflows.nodedefs import MEDIA_UPLOAD_FLAGS, InputDef, NodeDef, NodeDefs, SafeNodeDefs, one_line, valid_connection

UINT64_MAX = 2**64 - 1
INT64_MIN = -(2**63)
FILE_EXTENSIONS = (
    ".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".onnx", ".pkl",
    ".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff",
    ".mp4", ".webm", ".mov", ".mkv", ".avi", ".wav", ".mp3", ".flac", ".ogg",
    ".glb", ".gltf", ".obj", ".fbx", ".stl",
)  # fmt: skip


@dataclass
class WorkflowIssue:
    node_id: str | None
    class_type: str | None
    field: str | None
    message: str
    severity: Literal["error", "warning"] = "error"


def check_prompt(prompt: dict, object_info: dict | None, *, source: str = "workflow") -> list[WorkflowIssue]:
    """Raise WorkflowError on the first error (all errors in ``details``); return the warnings."""
    issues = validate_prompt(prompt, object_info, source=source)
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    if errors:
        more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise WorkflowError(
            f"{source}: {errors[0].message}{more}",
            details={"errors": [asdict(e) for e in errors], "warnings": [asdict(w) for w in warnings]},
        )
    return warnings


def validate_prompt(prompt: dict, object_info: dict | None, *, source: str = "workflow") -> list[WorkflowIssue]:
    if not isinstance(prompt, dict):
        return [WorkflowIssue(None, None, None, one_line(f"{source} is not an API prompt: expected an object of nodes"))]
    if not prompt:
        return [WorkflowIssue(None, None, None, one_line(f"{source} has no nodes"))]
    defs = SafeNodeDefs(object_info) if isinstance(object_info, dict) else None
    checker = _Checker(prompt, defs)
    for node_id, node in prompt.items():
        checker.node(str(node_id), node)
    checker.outputs()
    checker.cycles()
    return checker.issues


class _Checker:
    def __init__(self, prompt: dict, defs: NodeDefs | None) -> None:
        self.prompt = {str(k): v for k, v in prompt.items()}
        self.defs = defs
        self.issues: list[WorkflowIssue] = []

    def add(self, node_id: str | None, class_type: str | None, field: str | None, text: str, severity: str = "error") -> None:
        where = ""
        if node_id is not None:
            where = f"node {node_id}" + (f" ({class_type})" if class_type else "")
            where += f' input "{field}"' if field is not None else ""
            where += ": "
        self.issues.append(WorkflowIssue(node_id, class_type, field, one_line(where + text), severity))  # type: ignore[arg-type]

    def node_def(self, class_type: Any) -> NodeDef | None:
        return self.defs.get(class_type) if self.defs is not None and isinstance(class_type, str) else None

    def node(self, node_id: str, node: Any) -> None:
        if not isinstance(node, dict):
            self.add(node_id, None, None, "is not an object with class_type and inputs")
            return
        class_type = node.get("class_type")
        if not isinstance(class_type, str) or not class_type:
            self.add(node_id, None, None, 'has no "class_type"')
            return
        inputs = node.get("inputs")
        if not isinstance(inputs, dict):
            self.add(node_id, class_type, None, '"inputs" must be an object')
            return
        node_def = self.node_def(class_type)
        if self.defs is not None and node_def is None:
            self.add(node_id, class_type, None, f"unknown node type {class_type!r} (a custom node the server does not have?)")
        for name, value in inputs.items():
            spec = node_def.inputs.get(name) if node_def else None
            self.value(node_id, class_type, str(name), value, spec, node_def)
        for spec in node_def.required_inputs() if node_def else []:
            if spec.name not in inputs:
                self.add(node_id, class_type, spec.name, "required input is missing")

    def value(self, node_id: str, class_type: str, name: str, value: Any, spec: InputDef | None, node_def: NodeDef | None) -> None:
        if isinstance(value, list) and (len(value) == 2 or (spec is not None and spec.kind == "LINK")):
            self.link(node_id, class_type, name, value, spec)
            return
        if spec is None:
            return
        if spec.kind == "LINK":
            self.add(node_id, class_type, name, f"expects a link [node_id, output_index] to a {'/'.join(spec.link_types)} output, not a value")
            return
        if isinstance(value, dict) and "__value__" in value:
            return  # a boxed list: only multi-select and custom widgets send these
        problem = _type_problem(spec, value)
        if problem:
            self.add(node_id, class_type, name, problem)
        elif spec.kind in ("INT", "FLOAT"):
            self.range(node_id, class_type, name, value, spec)
        elif spec.kind == "COMBO" and spec.options is not None and value not in spec.options:
            self.choice(node_id, class_type, name, value, spec, node_def)

    def range(self, node_id: str, class_type: str, name: str, value: float, spec: InputDef) -> None:
        if spec.kind == "INT" and not INT64_MIN <= value <= UINT64_MAX:
            self.add(node_id, class_type, name, f"{_show(value)} is outside the 64-bit range (seeds go up to 2^64-1)")
        elif isinstance(spec.min, (int, float)) and value < spec.min:
            self.add(node_id, class_type, name, f"{_show(value)} is below the minimum {_show(spec.min)}")
        elif isinstance(spec.max, (int, float)) and value > spec.max:
            self.add(node_id, class_type, name, f"{_show(value)} is above the maximum {_show(spec.max)}")

    def choice(self, node_id: str, class_type: str, name: str, value: Any, spec: InputDef, node_def: NodeDef | None) -> None:
        options = list(spec.options or ())
        if any(spec.raw.get(flag) for flag in MEDIA_UPLOAD_FLAGS):
            self.add(node_id, class_type, name, f"input file {value!r} is not in the server's input folder; upload it first", "warning")
        elif _is_file_choice(name, value, options, node_def):
            self.add(node_id, class_type, name, f"model file {value!r} is not on the server (it lists {len(options)} for this input)", "warning")
        else:
            shown = ", ".join(str(o) for o in options[:8]) + (f", … {len(options)} in all" if len(options) > 8 else "")
            self.add(node_id, class_type, name, f"{_show(value)} is not one of the allowed values ({shown or 'none'})")

    def link(self, node_id: str, class_type: str, name: str, value: list, spec: InputDef | None) -> None:
        if len(value) != 2:
            self.add(node_id, class_type, name, "a link must be [node_id, output_index]")
            return
        source, slot = value
        if not isinstance(source, str):
            self.add(node_id, class_type, name, f"link source {source!r} must be a node id string")
            return
        if isinstance(slot, bool) or not isinstance(slot, int) or slot < 0:
            self.add(node_id, class_type, name, f"link output index {slot!r} must be a non-negative integer")
            return
        origin = self.prompt.get(source)
        if not isinstance(origin, dict):
            self.add(node_id, class_type, name, f"is linked to node {source}, which does not exist")
            return
        origin_def = self.node_def(origin.get("class_type"))
        if origin_def is None:
            return
        if slot >= len(origin_def.outputs):
            self.add(node_id, class_type, name, f"is linked to output {slot} of node {source} ({origin_def.class_type}), which has {len(origin_def.outputs)} output(s)")
            return
        produced = origin_def.outputs[slot]
        accepted = spec.link_types if spec is not None and spec.kind == "LINK" else ((spec.kind,) if spec is not None else ("*",))
        if not any(valid_connection(produced, kind) for kind in accepted):
            self.add(node_id, class_type, name, f"node {source} ({origin_def.class_type}) output {slot} is {produced}, but this input takes {'/'.join(accepted)}")

    def outputs(self) -> None:
        if self.defs is None:
            return
        for node in self.prompt.values():
            node_def = self.node_def(node.get("class_type")) if isinstance(node, dict) else None
            if node_def is not None and node_def.output_node:
                return
        self.add(None, None, None, "the workflow has no output node (such as SaveImage or PreviewImage), so ComfyUI would run nothing")

    def cycles(self) -> None:
        cycle = _find_cycle(self.prompt)
        if cycle:
            names = " → ".join(f"{n} ({_class_of(self.prompt[n])})" for n in cycle)
            self.add(cycle[0], _class_of(self.prompt[cycle[0]]), None, f"nodes {names} → {cycle[0]} form a cycle")


def _type_problem(spec: InputDef, value: Any) -> str | None:
    kind = spec.kind
    if kind == "INT":
        if isinstance(value, bool):
            return f"{_show(value)} is a boolean, not an integer"
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            return f"{_show(value)} is not an integer"
        if not isinstance(value, (int, float)):
            return f"expected an integer, got {_kind(value)}"
    elif kind == "FLOAT":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected a number, got {_kind(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value} is not a finite number"
    elif kind == "STRING" and not isinstance(value, str):
        return f"expected text, got {_kind(value)}"
    elif kind == "BOOLEAN" and not isinstance(value, bool):
        return f"expected true or false, got {_kind(value)}"
    elif kind == "COMBO" and (isinstance(value, (dict, list, bool)) or value is None):
        return f"expected one of the allowed values, got {_kind(value)}"
    return None


def _is_file_choice(name: str, value: Any, options: list, node_def: NodeDef | None) -> bool:
    if isinstance(value, str) and value.lower().endswith(FILE_EXTENSIONS):
        return True
    if any(isinstance(o, str) and o.lower().endswith(FILE_EXTENSIONS) for o in options):
        return True
    return bool(node_def and "loader" in str(node_def.category).lower() and name.endswith("_name"))


def _find_cycle(prompt: dict) -> list[str] | None:
    edges: dict[str, list[str]] = {}
    for node_id, node in prompt.items():
        inputs = node.get("inputs") if isinstance(node, dict) else None
        sources = [v[0] for v in inputs.values() if _is_link(v) and v[0] in prompt] if isinstance(inputs, dict) else []
        edges[node_id] = sources
    state: dict[str, int] = {}
    for start in edges:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node_id, index = stack.pop()
            if index == 0:
                state[node_id] = 1
                path.append(node_id)
            if index < len(edges[node_id]):
                stack.append((node_id, index + 1))
                nxt = edges[node_id][index]
                if state.get(nxt) == 1:
                    return list(reversed(path[path.index(nxt) :]))
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node_id] = 2
                path.pop()
    return None


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int)


def _class_of(node: Any) -> str:
    return str(node.get("class_type")) if isinstance(node, dict) else "?"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "text", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)
